"""A worker killed for good: another worker, told so with `--take-over DEAD_ID`, finishes its job from the
stored stages (a shared stage cache), and no finished clip is generated again."""

from __future__ import annotations

import sys
import time
from collections import Counter

from dbos import DBOSClient

from reelforge.config import Settings
from reelforge.jobs.workflow import QUEUE, system_database_url
from tests.jobs.servers import Process, wait_for
from tests.jobs.test_resume import BOARD


def test_another_worker_takes_over_a_dead_workers_job(gated_sqlite, tmp_path):
    gate, store, env = gated_sqlite.gate, gated_sqlite.store, gated_sqlite.env
    user = store.create_user("ann", credits=1)
    (job,) = store.create_jobs(
        user,
        [{"request": {}, "storyboard": BOARD, "model": "gated", "quality": "low", "priority": "normal",
          "credits": 1}],
    )  # fmt: skip
    worker = [sys.executable, "-m", "tests.jobs.gated_worker", "worker"]
    dead = Process([*worker, "--id", "worker-dead"], env, tmp_path / "dead.log")
    heir = None
    try:
        dead.wait_for_output("ready")
        client = DBOSClient(system_database_url=system_database_url(Settings()))
        workflow_id = f"{job.id}-1"
        client.enqueue(
            {"queue_name": QUEUE, "workflow_name": "reelforge.job", "workflow_id": workflow_id}, job.id, 1
        )
        calls = gate / "calls.log"
        clips = lambda: next(s for s in store.job(job.id).stages if s.name == "clips")  # noqa: E731
        wait_for(lambda: clips().done >= 1 and "start wait here" in calls.read_text(), 60, "clip 1 of 2", 0.1)
        dead.kill()
        (gate / "open").touch()
        # A worker with another id leaves the dead worker's job alone ...
        heir = Process([*worker, "--id", "worker-heir"], env, tmp_path / "heir-1.log")
        heir.wait_for_output("ready")
        time.sleep(1.5)
        assert store.job(job.id).status == "running" and "done wait here" not in calls.read_text()
        heir.stop()
        # ... until it is told that worker is dead.
        heir = Process(
            [*worker, "--id", "worker-heir", "--take-over", "worker-dead"], env, tmp_path / "heir.log"
        )
        heir.wait_for_output("queued again 1 job(s) of worker-dead")
        wait_for(lambda: store.job(job.id).status in ("succeeded", "failed"), 90, "the taken-over job", 0.2)
        handle = client.retrieve_workflow(workflow_id)
        outcome, status = handle.get_result(), handle.get_status()  # the workflow's end (after notify)
        client.destroy()
    finally:
        for process in (dead, heir):
            if process is not None:
                process.stop()
    done = store.job(job.id)
    assert done.status == "succeeded", done.error
    assert outcome == "succeeded" and status.executor_id == "worker-heir" and status.status == "SUCCESS"
    assert Counter(calls.read_text().splitlines()) == {
        "start first scene": 1,
        "done first scene": 1,
        "start wait here": 2,
        "done wait here": 1,
    }
    assert done.result["stages"]["voice"] == {"ran": 2, "reused": 0}  # the dead worker's voice phase
