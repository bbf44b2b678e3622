"""Durable job execution on DBOS: a job is a workflow whose steps (start, render, store, finish, notify)
are recorded in the system database, so a worker killed at any point resumes the job where it stopped.

The render step itself resumes from the content-addressed stage cache: after a crash it runs again and
reuses every voice, clip and segment that was finished, so no clip is generated twice. Workers take jobs
from one queue, `slots` at a time (the GPU slots), highest priority first.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from reelforge.config import Settings
from reelforge.errors import ReelforgeError
from reelforge.jobs.requests import PRIORITIES
from reelforge.jobs.store import Store, database_url
from reelforge.storage import Storage, open_storage

QUEUE = "reelforge-jobs"
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
    """Start DBOS in this process: `slots` jobs at a time from the queue, or none (enqueue only) for None.

    A process started again with the same `executor_id` resumes the jobs that executor left unfinished."""
    global _runtime
    store = Store(database_url(settings))
    _runtime = Runtime(settings, store, open_storage(settings), executor_id)
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
    DBOS.register_queue(QUEUE, worker_concurrency=slots or 1, polling_interval_sec=0.2)
    return _runtime


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
        result = _render(job_id, attempt)
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


@DBOS.step(name="render")
def _render(job_id: str, attempt: int) -> dict[str, Any]:
    from reelforge.pipeline import render
    from reelforge.storyboard import Storyboard

    rt = runtime()
    job = rt.store.job(job_id)
    assert job is not None
    board = Storyboard.model_validate(job.storyboard)

    def progress(stage: str, done: int, total: int) -> None:
        if not rt.store.progress(job_id, attempt, stage, done, total):
            raise JobStopped(f"job {job_id} attempt {attempt} was cancelled or retried")

    outcome = render(board, _work_dir(job_id), cache_dir=rt.settings.cache_dir, jobs=2, progress=progress)
    metadata = json.loads(outcome.metadata.read_text())
    return {"duration": outcome.duration, "stages": outcome.stages, "cost_usd": _cost(metadata)}


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
        rt.storage.put(key, _work_dir(job_id) / name)
        artifacts[name] = key
        if not rt.store.progress(job_id, attempt, "store", done, len(names)):
            raise JobStopped(f"job {job_id} attempt {attempt} was cancelled or retried")
    shutil.rmtree(_work_dir(job_id), ignore_errors=True)
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


def _work_dir(job_id: str) -> Path:
    return runtime().settings.data_dir / "work" / job_id
