"""Durable execution: a worker killed with SIGKILL in the middle of a clip resumes the job on restart, and
no finished clip or voice is made again."""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest
from dbos import DBOSClient

from reelforge.config import settings
from reelforge.jobs.workflow import QUEUE, system_database_url
from tests.jobs.servers import Process, wait_for

BOARD = {
    "title": "Resume",
    "model": "gated",
    "output": {"aspect": "9:16", "resolution": 240, "fps": 24, "quality": "low"},
    "music": {"track": "none"},
    "scenes": [
        {"narration": "One.", "visual": "first scene"},
        {"narration": "Two.", "visual": "wait here"},
    ],
}


def test_killed_worker_resumes_without_generating_a_clip_twice(gated, tmp_path):
    gate, store, env = gated.gate, gated.store, gated.env
    user = store.create_user("ann", credits=5)
    request = {"storyboard": BOARD, "thumbnail": True}
    (job,) = store.create_jobs(
        user,
        [
            {
                "request": request,
                "storyboard": BOARD,
                "model": "gated",
                "quality": "low",
                "priority": "normal",
                "credits": 2,
            }
        ],
    )
    argv = [sys.executable, "-m", "tests.jobs.gated_worker", "worker", "--id", "worker-a"]
    worker = Process(argv, env, tmp_path / "worker-1.log")
    try:
        worker.wait_for_output("ready")
        client = DBOSClient(system_database_url=system_database_url(settings()))
        client.enqueue(
            {"queue_name": QUEUE, "workflow_name": "reelforge.job", "workflow_id": f"{job.id}-1"}, job.id, 1
        )
        client.destroy()
        calls = gate / "calls.log"
        clips = lambda: next(s for s in store.job(job.id).stages if s.name == "clips")  # noqa: E731
        wait_for(lambda: clips().done >= 1, 60, "the first clip", 0.1)
        assert "start wait here" in calls.read_text()
        running = store.job(job.id)
        assert running.status == "running" and 0 < running.percent < 100
        worker.kill()  # in the middle of generating scene 2's clip; scene 1's clip is finished
        assert Counter(calls.read_text().splitlines()) == {
            "start first scene": 1,
            "done first scene": 1,
            "start wait here": 1,
        }
        (gate / "open").touch()
        worker = Process(argv, env, tmp_path / "worker-2.log")  # the same executor id: it resumes the job
        wait_for(lambda: store.job(job.id).status in ("succeeded", "failed"), 90, "the resumed job", 0.2)
    finally:
        worker.stop()
    done = store.job(job.id)
    assert done.status == "succeeded", done.error
    # Each clip finished exactly once: scene 1's was reused, only the interrupted one was made again.
    assert Counter(calls.read_text().splitlines()) == {
        "start first scene": 1,
        "done first scene": 1,
        "start wait here": 2,
        "done wait here": 1,
    }
    stages = done.result["stages"]
    assert stages["voice"] == {"ran": 2, "reused": 0}  # made once, by the first worker's voice phase
    assert sum(v["ran"] for k, v in stages.items() if k.startswith("clip")) == 1
    assert done.percent == 100 and set(done.artifacts) == {
        "video.mp4",
        "thumbnail.jpg",
        "captions.srt",
        "captions.vtt",
        "metadata.json",
    }
    meta = json.loads((tmp_path / "data" / "artifacts" / done.artifacts["metadata.json"]).read_text())
    assert [scene["model"] for scene in meta["scenes"]] == ["gated", "gated"]
    clip_seconds = sum(scene["clip"]["seconds"] for scene in meta["scenes"])
    assert done.cost_usd == pytest.approx(0.05 * clip_seconds, abs=1e-3) and done.cost_usd > 0
    assert [(e.delta, e.reason) for e in store.ledger(user.id)] == [(5, "grant"), (-2, "charge")]
