"""`GET /api/v1/models`: the video model catalogue, each with whether it can run here and why not."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from reelforge.api.schemas import ModelOut

router = APIRouter(tags=["models"])


def catalogue() -> list[ModelOut]:
    """The one place the API reads the catalogue from."""
    from reelforge.generate.catalogue import listing

    return [
        ModelOut(
            id=a.info.id,
            name=a.info.name,
            category=a.info.category,
            provider=a.info.provider,
            available=a.available,
            why=a.why,
            max_seconds=a.info.max_seconds,
            cost_per_second=a.info.cost_per_second,
            needs=a.info.needs,
        )
        for a in listing()
    ]


@router.get("/models", response_model=list[ModelOut])
async def models() -> list[ModelOut]:
    return await run_in_threadpool(catalogue)
