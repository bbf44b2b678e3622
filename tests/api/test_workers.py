"""An API process that only queues (`serve --no-worker`) and a separate `reelforge worker` that runs jobs."""

from __future__ import annotations

import os
import sys

import httpx

from tests.api.conftest import board, finished, start_server
from tests.jobs.servers import Process


def test_the_api_queues_and_a_worker_process_runs(tmp_path):
    folder = tmp_path / "split"
    for server in start_server(folder, f"sqlite:///{folder / 'jobs.db'}", "--no-worker"):
        health = httpx.get(f"{server.url}/api/v1/health").json()
        assert health["worker"] is None
        api = server.client()
        job = api.post(
            "/api/v1/videos/generate", json={"storyboard": board("Somebody else renders this.")}
        ).json()
        env = {
            **os.environ,
            "REELFORGE_DATA": str(server.data),
            "REELFORGE_CACHE": str(folder / "cache"),
            "REELFORGE_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}",
            "GATE_DIR": str(server.gate),
        }
        assert api.get(f"/api/v1/videos/jobs/{job['id']}/status").json()["status"] == "queued"
        worker = Process(
            [sys.executable, "-m", "reelforge", "worker", "--id", "w-1"], env, tmp_path / "w.log"
        )
        try:
            done = finished(api, job["id"])
        finally:
            worker.stop()
        assert done["status"] == "succeeded" and done["files"][-1] == "video.mp4"
        assert api.get(f"/api/v1/videos/jobs/{job['id']}/download").content[4:8] == b"ftyp"
