"""A fake Hugging Face Hub + Inference Providers router serving fal.ai's queue, from provider-apis.md §5.

Hub: `GET /api/models/{repo}?expand[]=inferenceProviderMapping` answers the repo's provider mapping
(`{provider: {status, providerId, task}}`), an empty mapping for a repo no provider serves, 404 for an
unknown repo. Router (`/{provider}/...`, `Authorization: Bearer hf_...`): `POST /fal-ai/{providerId}
?_subdomain=queue` enqueues and answers `{request_id, response_url, status_url, cancel_url, status:
"IN_QUEUE", queue_position}`; `GET .../requests/{id}/status` walks IN_QUEUE -> IN_PROGRESS -> COMPLETED;
`GET .../requests/{id}` answers `{"video": {"url"}}`. 429 carries Retry-After; 401 for a bad token.
Tests point `huggingface_hub.constants.ENDPOINT` and `INFERENCE_PROXY_TEMPLATE` here. The video is a
real MP4 of the requested `num_frames` (24 when absent) at 24 fps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer
from tests.fakes.media import moving_mp4

MAPPINGS = {
    "Lightricks/LTX-Video": "fal-ai/ltx-video",
    "tencent/HunyuanVideo": "fal-ai/hunyuan-video",
    "THUDM/CogVideoX-5b": "fal-ai/cogvideox-5b",
    "Wan-AI/Wan2.1-T2V-1.3B": "fal-ai/wan-t2v",
}
"""Repo -> fal.ai app id, as the Hub maps them for text-to-video here."""


@dataclass
class FakeHFRouter(LoopbackServer):
    token: str = "hf_fakeTokenForTests0123456789"
    mappings: dict[str, str] = field(default_factory=lambda: dict(MAPPINGS))
    known_repos: set[str] = field(default_factory=lambda: {*MAPPINGS, "genmo/mochi-1-preview"})
    steps: list[str] = field(default_factory=lambda: ["IN_PROGRESS"])
    """Statuses reported, one per status poll, after the enqueue answer's IN_QUEUE."""
    never_finish: bool = False
    rate_limited: int = 0
    retry_after: str = "1"
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def route(self, request: Recorded) -> Answer:
        if request.path.startswith("/api/models/"):
            return self._model_info(request.path.removeprefix("/api/models/"))
        if request.path.startswith("/files/"):  # fal's media CDN
            job = self.jobs.get(request.path.removeprefix("/files/").removesuffix(".mp4"))
            if job is None:
                return Answer(404)
            return Answer(200, moving_mp4(128, 72, int(job["body"].get("num_frames") or 24), 24))
        if not request.path.startswith("/fal-ai/"):
            return json_answer(404, {"error": "Not Found"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return json_answer(401, {"error": "Invalid credentials in Authorization header"})
        # The router's fal-ai prefix, then fal's own path: /fal-ai/{app}[/requests/{id}[/status]]
        path = request.path.removeprefix("/fal-ai")
        if path.startswith("/fal-ai/fal-ai/"):
            path = path.removeprefix("/fal-ai")
        app, _, rest = path.lstrip("/").partition("/requests/")
        app = app if app.startswith("fal-ai/") else f"fal-ai/{app}"
        if request.method == "POST" and not rest:
            return self._enqueue(app, request)
        request_id, _, tail = rest.partition("/")
        job = self.jobs.get(request_id)
        if job is None or request.method != "GET":
            return json_answer(404, {"detail": "Request not found"})
        if tail == "status":
            return self._status(job)
        video = {"url": f"{self.url}/files/{request_id}.mp4", "content_type": "video/mp4"}
        return json_answer(200, {"video": video, "seed": job["body"].get("seed")})

    def _model_info(self, repo: str) -> Answer:
        if repo not in self.known_repos:
            return json_answer(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        mapping = {}
        if repo in self.mappings:
            mapping["fal-ai"] = {"status": "live", "providerId": self.mappings[repo], "task": "text-to-video"}
        return json_answer(
            200, {"_id": uuid.uuid4().hex[:24], "id": repo, "inferenceProviderMapping": mapping}
        )

    def _enqueue(self, app: str, request: Recorded) -> Answer:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return json_answer(429, {"error": "Too many requests"}, {"Retry-After": self.retry_after})
        if app not in self.mappings.values():
            return json_answer(404, {"detail": f"Application {app!r} not found"})
        body = request.json
        if not isinstance(body.get("prompt"), str):
            return json_answer(422, {"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]})
        request_id = str(uuid.uuid4())
        self.jobs[request_id] = {"app": app, "body": body, "polls": 0}
        base = f"{self.url}/{app}/requests/{request_id}"
        queued = {"request_id": request_id, "response_url": base, "status_url": f"{base}/status",
                  "cancel_url": f"{base}/cancel", "status": "IN_QUEUE", "queue_position": 0}  # fmt: skip
        return json_answer(200, queued)

    def _status(self, job: dict[str, Any]) -> Answer:
        job["polls"] += 1
        n = job["polls"]
        if self.never_finish or n <= len(self.steps):
            status = "IN_PROGRESS" if self.never_finish else self.steps[n - 1]
            extra = {"queue_position": 0} if status == "IN_QUEUE" else {"logs": []}
            return json_answer(200, {"status": status, **extra})
        return json_answer(200, {"status": "COMPLETED", "logs": [], "metrics": {"inference_time": 1.0}})
