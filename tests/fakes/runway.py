"""A fake Runway API (api.dev.runwayml.com), written from shared/reference/provider-apis.md §1.

`POST /v1/text_to_video` and `/v1/image_to_video` (camelCase JSON, `Authorization: Bearer`,
`X-Runway-Version: 2024-11-06`) -> `{"id"}`; `GET /v1/tasks/{id}` walks PENDING -> THROTTLED -> RUNNING
(with `progress`) -> SUCCEEDED (`output: [url]`) or FAILED (`failure`, `failureCode`); `DELETE
/v1/tasks/{id}` cancels. Errors are `{"error": "<text>"}`; 429 carries Retry-After. The model table
(endpoints, ratios, durations) is enforced as the document gives it. Output URLs point at
`/outputs/{id}.mp4` on this server: a real MP4 of `duration` seconds at 24 fps, 1/10 of the ratio's size.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer
from tests.fakes.media import moving_mp4

VERSION = "2024-11-06"
I2V_RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
VEO_RATIOS = {"1280:720", "720:1280", "1080:1920", "1920:1080"}
MODELS: dict[str, dict[str, Any]] = {
    # model: endpoints it serves, ratios per endpoint, allowed durations
    "gen4_turbo": {"image_to_video": I2V_RATIOS, "durations": set(range(2, 11))},
    "gen4.5": {"image_to_video": I2V_RATIOS, "text_to_video": {"1280:720", "720:1280"},
               "durations": set(range(2, 11))},
    "veo3.1": {"image_to_video": VEO_RATIOS, "text_to_video": VEO_RATIOS, "durations": {4, 6, 8}},
    "veo3.1_fast": {"image_to_video": VEO_RATIOS, "text_to_video": VEO_RATIOS, "durations": {4, 6, 8}},
    "veo3": {"text_to_video": VEO_RATIOS, "durations": {8}},
}  # fmt: skip
DATA_URI_LIMIT = 5_000_000


@dataclass
class Task:
    id: str
    endpoint: str
    body: dict[str, Any]
    steps: list[str]
    failure: tuple[str, str] | None = None
    polls: int = 0
    status: str = "PENDING"
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))


@dataclass
class FakeRunway(LoopbackServer):
    api_key: str = "key_runway_test_0123456789"
    steps: list[str] = field(default_factory=lambda: ["PENDING", "THROTTLED", "RUNNING"])
    """Statuses a task reports, one per poll, before its outcome."""
    failure: tuple[str, str] | None = None
    """(failure, failureCode): every task ends FAILED instead of SUCCEEDED."""
    failure_once: tuple[str, str] | None = None
    """The same for the first task only."""
    never_finish: bool = False
    rate_limited: int = 0
    """How many create calls answer 429 before one is accepted."""
    retry_after: str = "1"
    tasks: dict[str, Task] = field(default_factory=dict)

    def route(self, request: Recorded) -> Answer:
        if request.path.startswith("/outputs/"):  # the output CDN: no API key
            task = self.tasks.get(request.path.removeprefix("/outputs/").removesuffix(".mp4"))
            return Answer(200, _video(task), {"Content-Type": "video/mp4"}) if task else Answer(404)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API key.")
        if request.headers.get("x-runway-version") != VERSION:
            return _error(400, "Invalid or missing X-Runway-Version header.")
        parts = request.path.strip("/").split("/")
        match request.method, parts:
            case "POST", ["v1", ("text_to_video" | "image_to_video") as endpoint]:
                return self._create(endpoint, request)
            case "GET", ["v1", "tasks", task_id] if task_id in self.tasks:
                return self._poll(self.tasks[task_id])
            case "DELETE", ["v1", "tasks", task_id] if task_id in self.tasks:
                self.tasks[task_id].status = "CANCELLED"
                return Answer(204)
        return _error(404, "Not found.")

    def _create(self, endpoint: str, request: Recorded) -> Answer:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _error(429, "You have exceeded the rate limit.", {"Retry-After": self.retry_after})
        body = request.json
        problem = _validate(endpoint, body)
        if problem:
            return _error(400, problem)
        failure = self.failure or (self.failure_once if not self.tasks else None)
        task = Task(
            id=str(uuid.uuid4()), endpoint=endpoint, body=body, steps=list(self.steps), failure=failure
        )
        self.tasks[task.id] = task
        return json_answer(200, {"id": task.id})

    def _poll(self, task: Task) -> Answer:
        task.polls += 1
        base: dict[str, Any] = {"id": task.id, "createdAt": task.created}
        credits = {"credits": 5 * task.body["duration"]}
        if task.status == "CANCELLED":
            return json_answer(200, {**base, "status": "CANCELLED", "cost": {"credits": 0}})
        if self.never_finish or task.polls <= len(task.steps):
            status = "RUNNING" if self.never_finish else task.steps[task.polls - 1]
            extra = {"progress": 0.5} if status == "RUNNING" else {}
            return json_answer(200, {**base, "status": status, "estimatedCost": credits, **extra})
        if task.failure:
            failure, code = task.failure
            return json_answer(200, {**base, "status": "FAILED", "cost": {"credits": 0}, "failure": failure,
                                     "failureCode": code})  # fmt: skip
        return json_answer(200, {**base, "status": "SUCCEEDED", "cost": credits,
                                 "output": [f"{self.url}/outputs/{task.id}.mp4"]})  # fmt: skip


def _validate(endpoint: str, body: dict[str, Any]) -> str | None:
    """Runway's 400 text for a body the document's model table does not allow, else None."""
    model = MODELS.get(body.get("model"))
    if model is None or endpoint not in model:
        return f"Model {body.get('model')!r} is not available on /v1/{endpoint}."
    if body.get("ratio") not in model[endpoint]:
        return f"Invalid ratio {body.get('ratio')!r} for {body['model']}."
    if body.get("duration") not in model["durations"]:
        return f"Invalid duration {body.get('duration')!r} for {body['model']}."
    text = body.get("promptText")
    if endpoint == "text_to_video" and not text:
        return "promptText is required."
    if text is not None and len(text.encode("utf-16-le")) // 2 > 1000:
        return "promptText must be at most 1000 characters."
    if endpoint == "image_to_video":
        image = body.get("promptImage")
        if not isinstance(image, str) or not image.startswith(("https://", "runway://", "data:image/")):
            return "promptImage must be an HTTPS URL, a runway:// URI or a data URI."
        if image.startswith("data:"):
            if len(image) > DATA_URI_LIMIT:
                return "promptImage data URI must be at most 5MB."
            base64.b64decode(image.partition(",")[2], validate=True)
    return None


def _video(task: Task) -> bytes:
    w, h = (int(v) // 10 for v in task.body["ratio"].split(":"))
    return moving_mp4(w - w % 2, h - h % 2, 24 * task.body["duration"], 24)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"error": message}, headers)
