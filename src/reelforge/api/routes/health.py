"""`GET /api/v1/health`: is the server up, can it reach its database, and what it runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from reelforge.api.errors import ApiError
from reelforge.api.schemas import Health
from reelforge.jobs.models import Job

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"description": "database unreachable"}})
def health(request: Request) -> Health:
    state = request.app.state
    try:
        with state.store.session() as s:
            counts = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    except Exception:
        raise ApiError(503, "the job database is unreachable", "unavailable") from None
    return Health(
        status="ok",
        database=state.store.engine.dialect.name,
        storage=type(state.storage).__name__,
        worker=state.executor_id if state.worker else None,
        jobs=counts,
    )
