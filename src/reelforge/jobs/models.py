"""Database tables (SQLAlchemy 2): users, their API keys (hashed), jobs, per-stage progress, credits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    credits: Mapped[int] = mapped_column(default=0)
    """The balance; every change is also a row in `credit_ledger`."""
    created_at: Mapped[datetime] = mapped_column(default=now)


class ApiKey(Base):
    """A key is shown once; only its SHA-256 is stored, found again by its visible prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    revoked: Mapped[bool] = mapped_column(default=False)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    batch_id: Mapped[str | None] = mapped_column(String(32), index=True)
    request: Mapped[dict[str, Any]]
    """The request as submitted (validated), for the record and for retry."""
    storyboard: Mapped[dict[str, Any]]
    """The storyboard this job renders (edited by PATCH .../storyboard)."""
    model: Mapped[str] = mapped_column(String(100))
    quality: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str | None] = mapped_column(String(32))
    percent: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    credits: Mapped[int] = mapped_column(default=0)
    """Credits charged for the current attempt (0 once refunded)."""
    attempt: Mapped[int] = mapped_column(default=1)
    callback_url: Mapped[str | None] = mapped_column(Text)
    artifacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """name -> storage key of the finished files."""
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Duration, per-stage run/reuse counts and timings of the last render."""
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    stages: Mapped[list[JobStage]] = relationship(
        cascade="all, delete-orphan", order_by="JobStage.position", lazy="selectin"
    )


class JobStage(Base):
    __tablename__ = "job_stages"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int]
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CreditEntry(Base):
    """One change of a user's balance: negative when a job is charged, positive for refunds and grants."""

    __tablename__ = "credit_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str | None] = mapped_column(String(32))
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now)
