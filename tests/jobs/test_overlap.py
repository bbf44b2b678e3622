"""One worker with one GPU slot and three jobs: a job holds the slot only through its clips phase, so
another job's voice and edit, and a job whose model needs no GPU, run while it generates; and two jobs'
GPU clips never run at once."""

from __future__ import annotations

import sys

from dbos import DBOSClient

from reelforge.config import Settings
from reelforge.jobs.workflow import QUEUE, system_database_url
from tests.jobs.servers import Process, wait_for


def board(model: str, *visuals: str) -> dict:
    return {
        "title": "Overlap",
        "model": model,
        "output": {"aspect": "9:16", "resolution": 240, "fps": 24, "quality": "low"},
        "music": {"track": "none"},
        "scenes": [{"narration": f"Now {v}.", "visual": v} for v in visuals],
    }


def test_cpu_phases_run_beside_a_held_gpu_slot_and_gpu_clips_never_overlap(gated_sqlite, tmp_path):
    gate, store, env = gated_sqlite.gate, gated_sqlite.store, gated_sqlite.env
    user = store.create_user("ann", credits=3)
    boards = {
        "a": board("gated", "wait a"),  # a local GPU model (for the test) that waits for the gate
        "motion": board("motion", "sunrise over hills"),  # needs no GPU
        "b": board("gated", "b one"),
    }
    jobs = {
        name: job
        for name, job in zip(
            boards,
            store.create_jobs(
                user,
                [
                    {"request": {}, "storyboard": b, "model": b["model"], "quality": "low",
                     "priority": "normal", "credits": 1}
                    for b in boards.values()
                ],
            ),
            strict=True,
        )
    }  # fmt: skip

    def enqueue(name: str) -> None:
        job_id = jobs[name].id
        client.enqueue(
            {"queue_name": QUEUE, "workflow_name": "reelforge.job", "workflow_id": f"{job_id}-1"}, job_id, 1
        )

    def job(name: str):
        return store.job(jobs[name].id)

    def stage(name: str, stage_name: str):
        return next(s for s in job(name).stages if s.name == stage_name)

    calls = gate / "calls.log"
    argv = [sys.executable, "-m", "tests.jobs.gated_worker", "worker", "--id", "w-overlap", "--slots", "1"]
    worker = Process(argv, env, tmp_path / "worker.log")
    try:
        worker.wait_for_output("ready")  # its system database exists from now on
        client = DBOSClient(system_database_url=system_database_url(Settings()))
        enqueue("a")
        wait_for(lambda: calls.exists() and "start wait a" in calls.read_text(), 60, "job a's clip", 0.1)
        # While a holds the only GPU slot, a job whose model needs none runs from start to finish ...
        enqueue("motion")
        wait_for(lambda: job("motion").status in ("succeeded", "failed"), 60, "the motion job", 0.1)
        assert job("motion").status == "succeeded", job("motion").error
        # ... and b's voice runs, then b waits for the slot without generating anything.
        enqueue("b")
        wait_for(lambda: stage("b", "voice").finished_at is not None, 60, "job b's voice", 0.1)
        wait_for(lambda: job("b").stage == "clips", 30, "job b waiting for the GPU", 0.1)
        wait_for(lambda: stage("b", "clips").started_at is not None, 30, "job b's clips phase", 0.1)
        waiting_since = stage("b", "clips").started_at
        assert job("a").status == "running" and job("a").stage == "clips"
        assert calls.read_text().splitlines() == ["start wait a"]  # nothing else touched the GPU
        (gate / "open").touch()
        for name in ("a", "b"):
            wait_for(lambda n=name: job(n).status in ("succeeded", "failed"), 90, f"job {name}", 0.2)
        client.destroy()
    finally:
        worker.stop()
    a_clips, b_clips, b_voice = stage("a", "clips"), stage("b", "clips"), stage("b", "voice")
    m_voice, m_edit = stage("motion", "voice"), stage("motion", "edit")
    assert job("a").status == job("b").status == "succeeded", (job("a").error, job("b").error)
    # The CPU stages of the other jobs ran inside job a's GPU phase (stage times, one clock).
    assert a_clips.started_at < m_voice.started_at and m_edit.finished_at < a_clips.finished_at
    assert a_clips.started_at < b_voice.started_at <= b_voice.finished_at < a_clips.finished_at
    # b's clips began only once a's had finished: the generator's log is strictly one clip after another.
    assert calls.read_text().splitlines() == [
        "start wait a", "done wait a", "start b one", "done b one"
    ]  # fmt: skip
    assert b_voice.finished_at <= waiting_since < a_clips.finished_at < b_clips.finished_at
    assert job("b").result["stages"]["voice"] == {"ran": 1, "reused": 0}
    assert sum(v["ran"] for k, v in job("b").result["stages"].items() if k.startswith("clip")) == 1
