"""Live progress fan-out: one poller per followed job, however many clients follow it.

The job row is read every 0.25 s by a single task per job in this process; each change is serialised once
and handed to every SSE client of that job, so 200 viewers cost the database what one does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool

from reelforge.api.schemas import JobOut
from reelforge.jobs.models import FINISHED
from reelforge.jobs.store import Store

POLL_SECONDS = 0.25


@dataclass
class _Watch:
    body: str = ""
    finished: bool = False
    version: int = 0
    clients: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    task: asyncio.Task | None = None


class ProgressHub:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._watches: dict[str, _Watch] = {}

    async def follow(self, job_id: str) -> AsyncIterator[tuple[str, bool]]:
        """(the job's status as JSON, finished?) now and after every change, until it finishes."""
        watch = self._watches.get(job_id)
        if watch is None:
            watch = self._watches[job_id] = _Watch()
            watch.task = asyncio.create_task(self._poll(job_id, watch))
        watch.clients += 1
        seen = 0
        try:
            while True:
                async with watch.changed:
                    await watch.changed.wait_for(lambda seen=seen: watch.version != seen)
                seen = watch.version
                yield watch.body, watch.finished
                if watch.finished:
                    return
        finally:
            watch.clients -= 1
            if watch.clients == 0 and self._watches.get(job_id) is watch:
                del self._watches[job_id]
                if watch.task is not None:
                    watch.task.cancel()

    async def _poll(self, job_id: str, watch: _Watch) -> None:
        while not watch.finished:
            job = await run_in_threadpool(self.store.job, job_id)
            if job is not None:
                body = JobOut.of(job).model_dump_json()
                if body != watch.body:
                    async with watch.changed:
                        watch.body, watch.finished = body, job.status in FINISHED
                        watch.version += 1
                        watch.changed.notify_all()
            await asyncio.sleep(POLL_SECONDS)
