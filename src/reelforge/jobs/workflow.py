"""Durable job execution on DBOS: a job is a workflow whose steps (start, voice, clips, edit, store, finish,
notify) are recorded in the system database, so a worker killed at any point resumes the job where it stopped.

The render is three steps, one per phase: voice (CPU), clips (a GPU slot when a scene's model chain holds a
local GPU model) and edit (CPU: segments, soundtrack, join, thumbnail). Each phase stores what it makes in
the content-addressed stage cache and the next one reuses it; a phase interrupted by a crash runs again and
reuses every voice, clip and segment that was finished, so no clip is generated twice.

A worker takes jobs from one queue, highest priority first, `slots + 1` at a time, and holds a GPU slot
(one of `slots` per worker process) only through a job's clips phase: while one job's clips hold the GPU,
another job's voice or edit runs beside it, and two jobs' GPU clips never run at once beyond `slots`. At
most one job per worker waits for a slot, so jobs reach the GPU in the queue's priority order.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from reelforge.cache import StageCache
from reelforge.config import Settings
from reelforge.errors import ReelforgeError
from reelforge.jobs.requests import PRIORITIES
from reelforge.jobs.store import Store, database_url
from reelforge.storage import Storage, open_storage
from reelforge.storyboard import Storyboard

QUEUE = "reelforge-jobs"
GPU_PROVIDERS = ("diffusers",)
"""Models of these providers run on this machine's GPU (the local diffusers pipelines)."""
ARTIFACTS = ("video.mp4", "thumbnail.jpg", "captions.srt", "captions.vtt", "metadata.json")
log = logging.getLogger(__name__)


class JobStopped(ReelforgeError):
    """The job was cancelled, or retried, while this attempt ran."""


@dataclass
class Runtime:
    settings: Settings
    store: Store
    storage: Storage
    executor_id: str
    gpu: threading.BoundedSemaphore
    """The worker's GPU slots: held by a job through its clips phase when it needs a GPU."""


_runtime: Runtime | None = None


def runtime() -> Runtime:
    assert _runtime is not None, "reelforge.jobs.workflow.launch() was not called"
    return _runtime


def system_database_url(settings: Settings) -> str:
    if settings.system_database_url:
        return settings.system_database_url
    url = database_url(settings)
    if url.startswith(("postgresql", "postgres")):
        return url.replace("postgresql+psycopg://", "postgresql://")
    return f"sqlite:///{settings.data_dir / 'dbos.sqlite'}"


def default_executor_id(role: str = "worker-0") -> str:
    return f"{socket.gethostname()}-{role}"


def launch(settings: Settings, *, executor_id: str, slots: int | None) -> Runtime:
    """Start DBOS in this process: run jobs with `slots` GPU slots, or none (enqueue only) for None.

    A process started again with the same `executor_id` resumes the jobs that executor left unfinished."""
    global _runtime
    store = Store(database_url(settings))
    gpu = threading.BoundedSemaphore(slots or 1)
    _runtime = Runtime(settings, store, open_storage(settings), executor_id, gpu)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    DBOS(
        config={
            "name": "reelforge",
            "system_database_url": system_database_url(settings),
            "executor_id": executor_id,
            "log_level": "WARNING",
        }
    )
    if slots is None:
        DBOS.listen_queues([])
    DBOS.launch()
    # one job more than GPU slots: its voice or edit runs while the others' clips hold the GPU
    DBOS.register_queue(QUEUE, worker_concurrency=(slots or 1) + 1, polling_interval_sec=0.2)
    return _runtime


def take_over(executor_ids: list[str]) -> list[str]:
    """Queue again the jobs that the (dead) workers `executor_ids` had started; the ids of their workflows.

    Any worker then takes them from the queue, as new jobs, and their recorded steps are not run again.
    Only for workers that are gone for good: a worker still running would go on with the same jobs. DBOS
    exposes this as an internal call (it returns each PENDING workflow of those executors to its queue,
    idempotently); this is the one place that uses it."""
    own = runtime().executor_id
    handles = DBOS._recover_pending_workflows([i for i in executor_ids if i != own])
    return [handle.workflow_id for handle in handles]


def shutdown() -> None:
    global _runtime
    DBOS.destroy(destroy_registry=False)
    _runtime = None


def enqueue(job_id: str, attempt: int, priority: str) -> None:
    """Put a job (attempt) on the queue; the workflow id makes a repeated enqueue a no-op."""
    queue = DBOS.retrieve_queue(QUEUE)
    with SetWorkflowID(f"{job_id}-{attempt}"), SetEnqueueOptions(priority=PRIORITIES[priority]):
        queue.enqueue(run_job, job_id, attempt)


@DBOS.workflow(name="reelforge.job", max_recovery_attempts=20)
def run_job(job_id: str, attempt: int) -> str:
    """One attempt at a job; it stops early (`stopped`) when the job is cancelled or retried meanwhile."""
    if not _start(job_id, attempt):
        return "stopped"
    try:
        phases = [_voice(job_id, attempt), _clips(job_id, attempt)]
        result = _edit(job_id, attempt, phases)
        artifacts = _store(job_id, attempt)
    except JobStopped:
        return "stopped"
    except Exception as exc:  # any failure ends the job with a message and a refund
        message = (
            str(exc) if isinstance(exc, ReelforgeError) else f"internal error ({exc.__class__.__name__})"
        )
        if not isinstance(exc, ReelforgeError):
            log.exception("job %s failed", job_id)
        _finish(job_id, attempt, None, None, message)
        _notify(job_id, attempt)
        return "failed"
    _finish(job_id, attempt, artifacts, result, None)
    _notify(job_id, attempt)
    return "succeeded"


@DBOS.step(name="start")
def _start(job_id: str, attempt: int) -> bool:
    return runtime().store.start(job_id, attempt) is not None


@DBOS.step(name="voice")
def _voice(job_id: str, attempt: int) -> dict[str, dict[str, int]]:
    """Phase 1 (CPU): every scene's narration and word timings."""
    from reelforge.pipeline import prepare

    rt, board = runtime(), _board(job_id)
    _report(job_id, attempt, "voice", 0, len(board.scenes))
    progress = _progress(job_id, attempt, {"voice"})
    return prepare(board, "voice", cache_dir=rt.settings.cache_dir, progress=progress)


@DBOS.step(name="clips")
def _clips(job_id: str, attempt: int) -> dict[str, dict[str, int]]:
    """Phase 2: every scene's clip, holding a GPU slot when a scene's model may run on the local GPU."""
    from reelforge.pipeline import prepare

    rt, board = runtime(), _board(job_id)
    _report(job_id, attempt, "clips", 0, len(board.scenes))
    with _gpu_slot(job_id, attempt, len(board.scenes)) if needs_gpu(board) else nullcontext():
        progress = _progress(job_id, attempt, {"clips"})
        return prepare(board, "clips", cache_dir=rt.settings.cache_dir, progress=progress)


@DBOS.step(name="edit")
def _edit(job_id: str, attempt: int, phases: list[dict[str, dict[str, int]]]) -> dict[str, Any]:
    """Phase 3 (CPU): segments, soundtrack, join and thumbnail, reusing the voices and clips."""
    from reelforge.pipeline import render

    rt, board = runtime(), _board(job_id)
    progress = _progress(job_id, attempt, {"edit", "join", "thumbnail"})
    outcome = render(board, _work_dir(job_id, attempt), cache_dir=rt.settings.cache_dir, progress=progress)
    metadata = json.loads(outcome.metadata.read_text())
    stages: dict[str, dict[str, int]] = {}
    for counts in [*phases, outcome.stages]:  # each stage as counted by the phase that made it
        for stage, count in counts.items():
            stages.setdefault(stage, count)
    return {"duration": outcome.duration, "stages": stages, "cost_usd": _cost(metadata)}


def needs_gpu(board: Storyboard) -> bool:
    """Whether a scene's clip may be made by a local GPU model (its model or one of its chain's fallbacks)."""
    from reelforge.generate.catalogue import get_info
    from reelforge.generate.coordinator import Coordinator

    coordinator = Coordinator(StageCache(runtime().settings.cache_dir))
    return any(
        get_info(link).provider in GPU_PROVIDERS
        for scene in board.scenes
        if scene.clip is None
        for link in coordinator.chain(board.model_for(scene))
    )


@contextmanager
def _gpu_slot(job_id: str, attempt: int, scenes: int) -> Iterator[None]:
    """Hold one of the worker's GPU slots; while waiting, stop if the job is cancelled or retried."""
    gpu = runtime().gpu
    while not gpu.acquire(timeout=1):
        _report(job_id, attempt, "clips", 0, scenes)
    try:
        yield
    finally:
        gpu.release()


def _board(job_id: str) -> Storyboard:
    job = runtime().store.job(job_id)
    assert job is not None
    return Storyboard.model_validate(job.storyboard)


def _report(job_id: str, attempt: int, stage: str, done: int, total: int) -> None:
    if not runtime().store.progress(job_id, attempt, stage, done, total):
        raise JobStopped(f"job {job_id} attempt {attempt} was cancelled or retried")


def _progress(job_id: str, attempt: int, stages: set[str]) -> Callable[[str, int, int], None]:
    """The render's progress callback for one phase: it records that phase's stages only."""

    def progress(stage: str, done: int, total: int) -> None:
        if stage in stages:
            _report(job_id, attempt, stage, done, total)

    return progress


def _cost(metadata: dict[str, Any]) -> float:
    """What the video's clips cost at their models' published prices (USD per second of clip)."""
    from reelforge.generate.catalogue import models

    catalogue = models()
    total = 0.0
    for scene in metadata["scenes"]:
        info = catalogue.get(scene["model"])
        if info is not None and info.cost_per_second:
            total += info.cost_per_second * scene["clip"]["seconds"]
    return round(total, 4)


@DBOS.step(name="store")
def _store(job_id: str, attempt: int) -> dict[str, str]:
    rt = runtime()
    job = rt.store.job(job_id)
    assert job is not None
    names = [n for n in ARTIFACTS if job.request.get("thumbnail", True) or n != "thumbnail.jpg"]
    artifacts = {}
    for done, name in enumerate(names, start=1):
        key = f"jobs/{job_id}/{name}"
        rt.storage.put(key, _work_dir(job_id, attempt) / name)
        artifacts[name] = key
        if not rt.store.progress(job_id, attempt, "store", done, len(names)):
            raise JobStopped(f"job {job_id} attempt {attempt} was cancelled or retried")
    shutil.rmtree(_work_dir(job_id, attempt), ignore_errors=True)
    return artifacts


@DBOS.step(name="finish")
def _finish(
    job_id: str,
    attempt: int,
    artifacts: dict[str, str] | None,
    result: dict[str, Any] | None,
    error: str | None,
) -> None:
    store = runtime().store
    if error is None:
        store.succeed(job_id, attempt, artifacts or {}, result or {})
    else:
        store.fail(job_id, attempt, error)


@DBOS.step(name="notify")
def _notify(job_id: str, attempt: int) -> None:
    from reelforge.jobs.webhooks import notify

    rt = runtime()
    job = rt.store.job(job_id)
    if job and job.callback_url and job.attempt == attempt and job.status in ("succeeded", "failed"):
        notify(rt.settings, job)


def _work_dir(job_id: str, attempt: int) -> Path:
    return runtime().settings.data_dir / "work" / f"{job_id}-{attempt}"
