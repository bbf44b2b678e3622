"""A fake Gemini API for Veo (generativelanguage.googleapis.com/v1beta), from provider-apis.md §4.

`POST /v1beta/models/{model}:predictLongRunning` (`x-goog-api-key` or `?key=`) validates the body
(one instance with a prompt and optional inline image; aspectRatio 16:9/9:16; durationSeconds 4/6/8 as
number or numeric string, 8 for 1080p/4k; the Vertex-only fields refused) and answers
`{"name": "models/{model}/operations/{id}"}`; `GET /v1beta/{name}` answers `{name, done: false}` for the
scripted polls, then `done: true` with generated samples, a safety block (`raiMediaFilteredCount`) or
an `error`. Errors are `{"error": {code, message, status}}`; a bad key is 400 API_KEY_INVALID; 429
RESOURCE_EXHAUSTED carries Retry-After. The video URI (`/v1beta/files/{id}:download?alt=media`) needs
the key and redirects to `/blob/{id}.mp4` on another host name (localhost): a real MP4 of the duration
at 24 fps.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer
from tests.fakes.media import moving_mp4

MODELS = {"veo-3.1-generate-preview", "veo-3.1-fast-generate-preview", "veo-3.1-lite-generate-preview",
          "veo-3.0-generate-001", "veo-3.0-fast-generate-001", "veo-2.0-generate-001"}  # fmt: skip
VERTEX_ONLY = {"generateAudio", "seed", "fps", "outputGcsUri"}
SIZES = {"16:9": (128, 72), "9:16": (72, 128)}


@dataclass
class Operation:
    id: str
    model: str
    body: dict[str, Any]
    polls: int = 0


@dataclass
class FakeGeminiVeo(LoopbackServer):
    api_key: str = "AIzaFakeGeminiKey0123456789"
    pending_polls: int = 2
    """How many polls answer `done: false` before the outcome."""
    filtered: list[str] | None = None
    """The video is blocked by the safety filter with these reasons."""
    error: dict[str, Any] | None = None
    """The operation ends with this `error` instead of a video."""
    never_finish: bool = False
    rate_limited: int = 0
    retry_after: str = "1"
    operations: dict[str, Operation] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1beta"

    def route(self, request: Recorded) -> Answer:
        if request.path.startswith("/blob/"):  # where the download redirects: no key needed
            operation = self.operations.get(request.path.removeprefix("/blob/").removesuffix(".mp4"))
            return Answer(200, _video(operation), {"Content-Type": "video/mp4"}) if operation else Answer(404)
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if key != self.api_key:
            return _error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                          [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com"}])  # fmt: skip
        path = request.path.removeprefix("/v1beta/")
        if request.method == "POST" and path.startswith("models/") and path.endswith(":predictLongRunning"):
            return self._create(path.removeprefix("models/").removesuffix(":predictLongRunning"), request)
        if request.method == "GET" and path.startswith("models/") and "/operations/" in path:
            operation = self.operations.get(path.rpartition("/")[2])
            return self._poll(operation) if operation else _error(404, "Operation not found.", "NOT_FOUND")
        if request.method == "GET" and path.startswith("files/") and path.endswith(":download"):
            file_id = path.removeprefix("files/").removesuffix(":download")
            storage = self.url.replace("127.0.0.1", "localhost")  # another host, as Google's storage is
            return Answer(302, b"", {"Location": f"{storage}/blob/{file_id}.mp4"})
        return _error(404, f"Method not found: {request.path}", "NOT_FOUND")

    def _create(self, model: str, request: Recorded) -> Answer:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _error(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED",
                          headers={"Retry-After": self.retry_after})  # fmt: skip
        if model not in MODELS:
            return _error(404, f"models/{model} is not found for API version v1beta.", "NOT_FOUND")
        problem = _validate(request.json)
        if problem:
            return _error(400, problem, "INVALID_ARGUMENT")
        operation = Operation(id=uuid.uuid4().hex[:12], model=model, body=request.json)
        self.operations[operation.id] = operation
        return json_answer(200, {"name": f"models/{model}/operations/{operation.id}"})

    def _poll(self, operation: Operation) -> Answer:
        operation.polls += 1
        name = f"models/{operation.model}/operations/{operation.id}"
        if self.never_finish or operation.polls <= self.pending_polls:
            return json_answer(200, {"name": name, "done": False})
        if self.error is not None:
            return json_answer(200, {"name": name, "done": True, "error": self.error})
        kind = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
        if self.filtered is not None:
            result = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": self.filtered}
        else:
            uri = f"{self.base_url}/files/{operation.id}:download?alt=media"
            result = {"generatedSamples": [{"video": {"uri": uri}}]}
        return json_answer(200, {"name": name, "done": True,
                                 "response": {"@type": kind, "generateVideoResponse": result}})  # fmt: skip


def _validate(body: Any) -> str | None:
    instances = body.get("instances") if isinstance(body, dict) else None
    if (
        not isinstance(instances, list)
        or len(instances) != 1
        or not isinstance(instances[0].get("prompt"), str)
    ):
        return "instances must hold one instance with a prompt."
    image = instances[0].get("image")
    if image is not None:
        if image.get("mimeType") not in ("image/png", "image/jpeg"):
            return "image.mimeType must be image/png or image/jpeg."
        try:
            base64.b64decode(image.get("bytesBase64Encoded", ""), validate=True)
        except ValueError:
            return "image.bytesBase64Encoded is not valid base64."
    parameters = body.get("parameters") or {}
    refused = VERTEX_ONLY & set(parameters)
    if refused:
        return f"{sorted(refused)[0]} parameter is not supported in Gemini API."
    if parameters.get("aspectRatio", "16:9") not in SIZES:
        return "aspectRatio must be 16:9 or 9:16."
    try:
        duration = int(parameters.get("durationSeconds", 8))
    except (TypeError, ValueError):
        return "durationSeconds must be a number."
    if duration not in (4, 6, 8):
        return "durationSeconds must be 4, 6 or 8."
    resolution = parameters.get("resolution", "720p")
    if resolution not in ("720p", "1080p", "4k") or (resolution != "720p" and duration != 8):
        return "resolution must be 720p, or 1080p/4k with durationSeconds 8."
    return None


def _video(operation: Operation) -> bytes:
    parameters = operation.body.get("parameters") or {}
    w, h = SIZES[parameters.get("aspectRatio", "16:9")]
    return moving_mp4(w, h, 24 * int(parameters.get("durationSeconds", 8)), 24)


def _error(
    status: int, message: str, code: str, details: list | None = None, headers: dict[str, str] | None = None
) -> Answer:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if details:
        error["details"] = details
    return json_answer(status, {"error": error}, headers)
