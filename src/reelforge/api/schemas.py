"""Response bodies (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from reelforge.jobs.models import Job
from reelforge.jobs.requests import VideoRequest

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def _utc(value: datetime | None) -> datetime | None:
    """The database keeps UTC without a zone; the API says so (RFC 3339)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class StageOut(BaseModel):
    name: str
    done: int
    total: int
    started_at: datetime | None
    finished_at: datetime | None

    _zoned = field_validator("started_at", "finished_at")(_utc)


class JobOut(BaseModel):
    id: str
    status: Status
    percent: float
    current_stage: str | None
    stages: list[StageOut]
    error: str | None
    title: str
    model: str
    quality: str
    priority: str
    batch_id: str | None
    attempt: int
    credits_charged: int
    cost_usd: float
    files: list[str]
    """Names of the finished files (video.mp4, thumbnail.jpg, captions.srt, captions.vtt, metadata.json)."""
    duration: float | None
    reused: dict[str, dict[str, int]]
    """Per stage of the last render: how many artifacts ran and how many were reused."""
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    _zoned = field_validator("created_at", "started_at", "finished_at")(_utc)

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            status=job.status,
            percent=job.percent,
            current_stage=job.stage,
            error=job.error,  # type: ignore[arg-type]
            stages=[StageOut.model_validate(s, from_attributes=True) for s in job.stages],
            title=job.storyboard.get("title", ""),
            model=job.model,
            quality=job.quality,
            priority=job.priority,
            batch_id=job.batch_id,
            attempt=job.attempt,
            credits_charged=job.credits,
            cost_usd=job.cost_usd,
            files=sorted(job.artifacts),
            duration=job.result.get("duration"),
            reused=job.result.get("stages", {}),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobPage(BaseModel):
    jobs: list[JobOut]
    total: int
    limit: int
    offset: int


class BatchRequest(BaseModel):
    items: Annotated[list[VideoRequest], Field(min_length=1, max_length=50)]


class BatchOut(BaseModel):
    batch_id: str
    jobs: list[JobOut]


class VideoUrl(BaseModel):
    url: str
    expires_in: int


class SceneEdit(BaseModel):
    """Fields of one scene to change; those left out stay as they are."""

    index: Annotated[int, Field(ge=0, le=999)]
    narration: Annotated[str | None, Field(min_length=1, max_length=5000)] = None
    visual: Annotated[str | None, Field(max_length=5000)] = None
    on_screen_text: Annotated[str | None, Field(max_length=500)] = None
    model: Annotated[str | None, Field(max_length=100)] = None
    duration: float | Literal["fit"] | None = None
    transition: str | None = None


class StoryboardEdit(BaseModel):
    title: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    scenes: Annotated[list[SceneEdit], Field(max_length=200)] = []


class ModelOut(BaseModel):
    id: str
    name: str
    category: str
    provider: str
    available: bool
    why: str
    max_seconds: float
    cost_per_second: float | None
    needs: str


class Account(BaseModel):
    id: str
    name: str
    is_admin: bool
    credits: int


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    storage: str
    worker: str | None
    jobs: dict[str, Any]
