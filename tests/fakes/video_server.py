"""A reference implementation of reelforge's video-server protocol v1 (docs/server-protocol.md).

It renders what it is asked for: an MP4 of exactly `num_frames` frames at `width`x`height` and `fps`
(a moving ffmpeg test pattern), so a client's request shows in the measured file. What happens to a job
is scripted: the statuses a job passes through before its outcome, rate limiting with Retry-After,
a failure or moderation refusal, a job that never finishes, a bearer token to require.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer
from tests.fakes.media import moving_mp4

REQUIRED = {"prompt": str, "width": int, "height": int, "fps": int, "num_frames": int, "seed": int}


@dataclass
class Job:
    id: str
    body: dict[str, Any]
    steps: list[str]
    polls: int = 0
    cancelled: bool = False


@dataclass
class FakeVideoServer(LoopbackServer):
    token: str | None = None
    steps: list[str] = field(default_factory=lambda: ["queued", "running"])
    """Statuses a job reports, one per poll, before its outcome."""
    error: dict[str, str] | None = None
    """The job fails with this {"code", "message"} instead of succeeding."""
    never_finish: bool = False
    rate_limited: int = 0
    """How many POST /v1/generate calls answer 429 before one is accepted."""
    retry_after: str = "1"
    jobs: dict[str, Job] = field(default_factory=dict)

    def route(self, request: Recorded) -> Answer:
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "missing or wrong bearer token")
        parts = request.path.strip("/").split("/")
        match request.method, parts:
            case "GET", ["v1", "health"]:
                return json_answer(200, {"status": "ok", "protocol": 1})
            case "GET", ["v1", "models"]:
                model = {"id": "fake-video", "width": 1280, "height": 720, "fps": 24, "max_frames": 241,
                         "image_to_video": True}  # fmt: skip
                return json_answer(200, {"models": [model]})
            case "POST", ["v1", "generate"]:
                return self._generate(request)
            case "GET", ["v1", "jobs", job_id]:
                return self._status(job_id)
            case "GET", ["v1", "jobs", job_id, "video"]:
                return self._video(job_id)
            case "DELETE", ["v1", "jobs", job_id]:
                if job_id not in self.jobs:
                    return _error(404, "not_found", f"no job {job_id}")
                self.jobs[job_id].cancelled = True
                return Answer(204)
        return _error(404, "not_found", f"no route {request.method} {request.path}")

    def _generate(self, request: Recorded) -> Answer:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _error(429, "rate_limited", "too many jobs", {"Retry-After": self.retry_after})
        try:
            body = request.json
        except ValueError:
            return _error(400, "invalid_request", "body is not JSON")
        for name, kind in REQUIRED.items():
            if not isinstance(body.get(name), kind):
                return _error(400, "invalid_request", f"{name} must be a {kind.__name__}")
        if body["width"] % 2 or body["height"] % 2 or body["num_frames"] < 1:
            return _error(400, "invalid_request", "width and height must be even, num_frames at least 1")
        if body.get("image") is not None:
            try:
                base64.b64decode(body["image"]["data"], validate=True)
            except (KeyError, TypeError, ValueError):
                return _error(400, "invalid_request", "image.data must be base64")
        job = Job(id=uuid.uuid4().hex, body=body, steps=list(self.steps))
        self.jobs[job.id] = job
        return json_answer(202, {"id": job.id, "status": "queued"})

    def _status(self, job_id: str) -> Answer:
        job = self.jobs.get(job_id)
        if job is None:
            return _error(404, "not_found", f"no job {job_id}")
        job.polls += 1
        if job.cancelled:
            return json_answer(200, {"id": job.id, "status": "cancelled", "progress": 0.0, "error": None})
        if self.never_finish or job.polls <= len(job.steps):
            step = "running" if self.never_finish else job.steps[job.polls - 1]
            progress = 0.0 if step == "queued" else 0.5
            return json_answer(200, {"id": job.id, "status": step, "progress": progress, "error": None})
        if self.error is not None:
            return json_answer(200, {"id": job.id, "status": "failed", "progress": 1.0, "error": self.error})
        return json_answer(200, {"id": job.id, "status": "succeeded", "progress": 1.0, "error": None})

    def _video(self, job_id: str) -> Answer:
        job = self.jobs.get(job_id)
        if job is None:
            return _error(404, "not_found", f"no job {job_id}")
        if self.error is not None or self.never_finish or job.polls <= len(job.steps):
            return _error(409, "not_ready", "the job has no video")
        b = job.body
        video = moving_mp4(b["width"], b["height"], b["num_frames"], b["fps"])
        return Answer(200, video, {"Content-Type": "video/mp4"})


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"error": {"code": code, "message": message}}, headers)
