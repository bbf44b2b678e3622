"""The FastAPI application: settings, job database, artifact store and (optionally) a worker in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge.api import errors
from reelforge.api.progress import ProgressHub
from reelforge.api.routes import account, chat, health, models, videos
from reelforge.config import Settings
from reelforge.config import settings as load_settings
from reelforge.jobs import webhooks, workflow

MAX_BODY = 1 << 20
"""Largest request body accepted (1 MiB: a storyboard of hundreds of scenes fits)."""


def create_app(
    settings: Settings | None = None,
    *,
    worker: bool = True,
    executor_id: str | None = None,
    slots: int | None = None,
) -> FastAPI:
    """The app. With `worker`, this process also runs jobs (`slots` at a time); without, it only queues them
    for `reelforge worker` processes."""
    settings = settings or load_settings()
    executor_id = executor_id or workflow.default_executor_id("api" if worker else "api-enqueue")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runs = (slots or settings.gpu_slots) if worker else None
        runtime = await run_in_threadpool(workflow.launch, settings, executor_id=executor_id, slots=runs)
        app.state.settings, app.state.store, app.state.storage = settings, runtime.store, runtime.storage
        app.state.signing_key = webhooks.secret(settings)
        app.state.worker, app.state.executor_id = worker, executor_id
        app.state.progress = ProgressHub(runtime.store)
        try:
            yield
        finally:
            await run_in_threadpool(workflow.shutdown)

    app = FastAPI(
        title="reelforge",
        version="0.1.0",
        lifespan=lifespan,
        description="AI video production: submit a script or storyboard, follow it, fetch the files.",
    )
    errors.install(app)
    for module in (videos, chat, models, health, account):
        app.include_router(module.router, prefix="/api/v1")
    app.add_middleware(LimitBody)
    return app


class LimitBody:
    """413 (in the JSON error shape) for a body over MAX_BODY bytes, declared or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > MAX_BODY:
                await _too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body here, at most MAX_BODY bytes, then replay it.
        messages: list[Message] = []
        seen, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                await _too_large(scope, receive, send)
                return
            messages.append(message)
            more = message.get("more_body", False)

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = errors.error_response(413, f"request body over {MAX_BODY} bytes")
    await response(scope, receive, send)
