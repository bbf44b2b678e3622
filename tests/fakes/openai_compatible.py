"""A fake OpenAI-compatible chat server: a real HTTP server on loopback speaking chat completions.

POST /v1/chat/completions (JSON, or SSE chunks ending in `data: [DONE]` with `stream: true`) and
GET /v1/models, with the official error body `{"error": {"message", "type", "param", "code"}}`. What each
request gets is scripted by the test: a queue of behaviours, then `default`. Every request is recorded
(`LoopbackServer`).
`response_format` is checked as OpenAI checks it: a json_schema needs `name` and `schema`; json_object needs
the word "json" somewhere in the messages; a server built with `json_schema=False` (or `json_object=False`)
answers 400 to that format, as models without structured outputs (or JSON mode) do.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer

Content = str | Callable[[dict[str, Any]], str]
"""An answer's text, or a function of the request body that makes it."""


@dataclass
class Reply:
    """A 200 completion with `content` (or a refusal), after `delay` seconds."""

    content: Content = ""
    refusal: str | None = None
    finish_reason: str = "stop"
    delay: float = 0.0


@dataclass
class Fail:
    """An error status with the official error body; `retry_after` sets the Retry-After header (seconds)."""

    status: int
    message: str = "error"
    type: str = "server_error"
    code: str | None = None
    retry_after: float | None = None


@dataclass
class FakeOpenAI(LoopbackServer):
    """Start with `with FakeOpenAI(...) as fake:`; `fake.url` is the base URL (…/v1)."""

    default: Reply | Fail = field(default_factory=lambda: Reply("Hello."))
    models: tuple[str, ...] = ("fake-small", "fake-large")
    api_key: str | None = None
    json_schema: bool = True
    json_object: bool = True
    script: list[Reply | Fail] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"{super().url}/v1"

    def then(self, *behaviours: Reply | Fail) -> FakeOpenAI:
        self.script.extend(behaviours)
        return self

    @property
    def chats(self) -> list[dict[str, Any]]:
        """The bodies of the chat-completion requests received, in order."""
        return [r.json for r in self.requests if r.path.endswith("/chat/completions")]

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # a delayed answer stops waiting
        super().__exit__(*exc)

    def route(self, request: Recorded) -> Answer:
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", None, "invalid_api_key"
            )
        match request.method, request.path:
            case "GET", "/v1/models" | "/v1/models/":
                data = [
                    {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
                    for m in self.models
                ]
                return _json(200, {"object": "list", "data": data})
            case "POST", "/v1/chat/completions":
                return self._chat(request)
        return _error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")

    def _chat(self, request: Recorded) -> Answer:
        try:
            body = request.json or {}
        except json.JSONDecodeError:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        problem = _check(self, body)
        if problem:
            return problem
        behaviour = self._next()
        if isinstance(behaviour, Fail):
            headers = {} if behaviour.retry_after is None else {"Retry-After": f"{behaviour.retry_after:g}"}
            return _error(behaviour.status, behaviour.message, behaviour.type, None, behaviour.code, headers)
        if self._stop.wait(behaviour.delay):
            return _error(503, "The server is shutting down.", "server_error")
        content = behaviour.content
        text = content(body) if callable(content) else content
        if not body.get("stream"):
            return _json(200, _completion(body, behaviour, text))
        events = [f"data: {json.dumps(chunk)}\n\n" for chunk in _chunks(body, behaviour, text)]
        stream = "".join([*events, "data: [DONE]\n\n"]).encode()
        return Answer(
            200, stream, {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
        )

    def _next(self) -> Reply | Fail:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, payload, {"x-request-id": f"req_{uuid.uuid4().hex[:16]}", **(headers or {})})


def _error(
    status: int,
    message: str,
    type_: str,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    return _json(
        status, {"error": {"message": message, "type": type_, "param": param, "code": code}}, headers
    )


def _check(fake: FakeOpenAI, body: dict[str, Any]) -> Answer | None:
    """The 4xx a real endpoint gives this body, or None."""
    if not body.get("model"):
        return _error(400, "you must provide a model parameter", "invalid_request_error", "model")
    if body["model"] not in fake.models:
        return _error(
            404,
            f"The model `{body['model']}` does not exist",
            "invalid_request_error",
            "model",
            "model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or any("role" not in m for m in messages):
        return _error(
            400, "'messages' must be a non-empty array of messages", "invalid_request_error", "messages"
        )
    fmt = body.get("response_format") or {"type": "text"}
    if fmt["type"] == "json_schema":
        if not fake.json_schema:
            return _error(
                400,
                "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
                "with this model.",
                "invalid_request_error",
                "response_format",
            )
        spec = fmt.get("json_schema") or {}
        if not spec.get("name") or not isinstance(spec.get("schema"), dict):
            return _error(
                400,
                "Missing required parameter: 'response_format.json_schema.name'",
                "invalid_request_error",
                "response_format",
            )
    if fmt["type"] == "json_object" and not fake.json_object:
        return _error(400, "Invalid parameter: 'response_format' of type 'json_object' is not supported with "
                      "this model.", "invalid_request_error", "response_format")  # fmt: skip
    if fmt["type"] == "json_object" and "json" not in json.dumps(messages).lower():
        return _error(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of "
            "type 'json_object'.",
            "invalid_request_error",
            "messages",
        )
    return None


def _completion(body: dict[str, Any], reply: Reply, text: str) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None if reply.refusal else text,
                    "refusal": reply.refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt + len(text.split()),
        },
    }


def _chunks(body: dict[str, Any], reply: Reply, text: str) -> list[dict[str, Any]]:
    """The SSE chunks of a streamed answer: role, content pieces (a word each), finish, optional usage."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    pieces = [chunk({"role": "assistant", "content": "", "refusal": None})]
    if reply.refusal:
        pieces.append(chunk({"refusal": reply.refusal}))
    else:
        words = text.split(" ")
        pieces += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    pieces.append(chunk({}, reply.finish_reason))
    if (body.get("stream_options") or {}).get("include_usage"):
        pieces.append(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": 1,
                    "completion_tokens": len(pieces),
                    "total_tokens": 1 + len(pieces),
                },
            }
        )
    return pieces
