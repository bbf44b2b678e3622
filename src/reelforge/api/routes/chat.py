"""Chat with the server's LLM (reelforge.plan.chat): `POST /api/v1/chat` and `GET /api/v1/chat/models`.

A streamed answer (`"stream": true`, general and scripter modes) is Server-Sent Events: `delta` events
(`{"text": ...}`) as the LLM writes, then `reply` (the whole ChatReply), or `error` (the JSON error shape)
when the LLM fails after the first words. Failures before the first words answer with a status instead.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from reelforge.api.auth import CurrentUser
from reelforge.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from reelforge.errors import ConfigError, ProviderError
from reelforge.plan.chat import ChatReply, ChatRequest, chat, chat_models, chat_stream
from reelforge.plan.llm import LLMClient

router = APIRouter(prefix="/chat", tags=["chat"], responses=ERROR_RESPONSES)
_LLM_ERRORS = {
    502: {"model": ErrorBody, "description": "the LLM failed (unreachable, refused the key, over quota ...)"},
}
_STREAM = {"text/event-stream": {"schema": {"type": "string"}}}


class ChatBody(ChatRequest):
    stream: bool = False
    """Answer as Server-Sent Events (general and scripter modes)."""


class ChatModels(BaseModel):
    default: str
    """The model a chat uses when the request names none (LLM_MODEL or the preset's)."""
    models: list[str]
    """What the endpoint serves."""


def _client(request: Request, model: str = "") -> LLMClient:
    """The server's LLM client; 422 `llm_not_configured`, naming the settings, when there is none."""
    try:
        return LLMClient.from_settings(request.app.state.settings, model=model)
    except ConfigError as exc:
        raise ApiError(422, str(exc), "llm_not_configured") from None


@router.post(
    "",
    response_model=ChatReply,
    responses={**_LLM_ERRORS, 200: {"content": _STREAM, "description": "the reply (JSON or, streamed, SSE)"}},
)
async def chat_turn(request: Request, body: ChatBody, user: CurrentUser) -> ChatReply | EventSourceResponse:
    """One chat turn in a mode: general (ideas), planner (a storyboard), editor (edits to `storyboard`) or
    scripter (narration). With `stream`, general and scripter answers arrive as Server-Sent Events."""
    client = _client(request, body.model)
    if not body.stream:
        return await run_in_threadpool(chat, body, client)
    deltas = chat_stream(body, client)
    first = await run_in_threadpool(next, deltas, "")  # a failure before the first words: a status
    return EventSourceResponse(_events(body, client.endpoint.model, first, deltas), ping=15)


async def _events(turn: ChatRequest, model: str, first: str, deltas: Iterator[str]) -> AsyncIterator[dict]:
    text = [first]
    if first:
        yield {"event": "delta", "data": json.dumps({"text": first})}
    try:
        async for piece in iterate_in_threadpool(deltas):
            text.append(piece)
            yield {"event": "delta", "data": json.dumps({"text": piece})}
    except ProviderError as exc:
        error = {"error": {"code": "provider_error", "message": str(exc)}}
        yield {"event": "error", "data": json.dumps(error)}
        return
    reply = ChatReply(mode=turn.mode, model=model, text="".join(text).strip())
    yield {"event": "reply", "data": reply.model_dump_json(by_alias=True)}


@router.get("/models", response_model=ChatModels, responses=_LLM_ERRORS)
def models(request: Request, user: CurrentUser) -> ChatModels:
    """The models the server's LLM endpoint serves, and the one a chat uses by default."""
    client = _client(request)
    return ChatModels(default=client.endpoint.model, models=chat_models(client))
