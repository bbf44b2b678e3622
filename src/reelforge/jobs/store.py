"""The job database: users, API keys, jobs, progress and credits, behind one small class.

SQLite (WAL, busy timeout) with zero set-up by default; PostgreSQL by URL. The schema is created and
upgraded by Alembic (`upgrade`), run automatically when a Store opens a database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from reelforge.config import Settings
from reelforge.errors import ConfigError, InputError, ReelforgeError
from reelforge.jobs.models import FINISHED, ApiKey, CreditEntry, Job, JobStage, User, now

STAGES = ("voice", "clips", "edit", "join", "thumbnail", "store")
"""Stages as a job lists them; the weights say how much of the percentage each one is worth."""
_WEIGHTS = {"voice": 10, "clips": 50, "edit": 25, "join": 5, "thumbnail": 5, "store": 5}
_KEY_PREFIX = "rf_"


class InsufficientCredits(ReelforgeError):
    """The user's balance does not cover the video."""


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{settings.data_dir / 'reelforge.db'}"


def sqlalchemy_url(url: str) -> str:
    """`postgresql://` -> the psycopg 3 driver SQLAlchemy needs; other URLs as given."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def make_engine(url: str) -> Engine:
    url = sqlalchemy_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    path = url.removeprefix("sqlite:///")
    if path and path != url:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=20, max_overflow=20
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "reelforge.jobs:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_store() -> Store:
    """The store REELFORGE_DATABASE_URL (or the default SQLite file) names, schema upgraded."""
    from reelforge.config import settings

    return Store(database_url(settings()))


def credits_for(settings: Settings, model: str, quality: str) -> int:
    """VIDEO_TOKEN_COST, unless REELFORGE_VIDEO_TOKEN_COSTS names this model and/or quality."""
    table = settings.video_token_costs
    for key in (f"{model}:{quality}", model, f":{quality}"):
        if key in table:
            return table[key]
    return settings.video_token_cost


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _prefix(token: str) -> str:
    """The visible prefix a key is stored and listed under (`rf_PREFIX_secret` -> `PREFIX`)."""
    return token.removeprefix(_KEY_PREFIX).split("_", 1)[0]


def new_id() -> str:
    return uuid.uuid4().hex


class Store:
    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            self.engine = make_engine(url)
            if migrate:
                upgrade(self.engine)
        except Exception as exc:  # a wrong URL, a missing driver, an unreachable server
            safe = url.split("@")[-1]  # never echo a password
            raise ConfigError(
                f"cannot open the job database ({safe}): {exc.__class__.__name__}: "
                "check REELFORGE_DATABASE_URL"
            ) from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- users and keys -------------------------------------------------------------------------------

    def create_user(self, name: str, *, admin: bool = False, credits: int = 0) -> User:
        with self.session() as s:
            if s.scalar(select(User).where(User.name == name)) is not None:
                raise InputError(f"user {name!r} exists already: pick another name")
            user = User(id=new_id(), name=name, is_admin=admin, credits=0)
            s.add(user)
            s.flush()
            if credits:
                self._change_credits(s, user.id, credits, "grant")
        return self.user(user.id)

    def user(self, user_id: str) -> User:
        with self.session() as s:
            user = s.get(User, user_id) or s.scalar(select(User).where(User.name == user_id))
            if user is None:
                raise InputError(f"no user {user_id!r}: create one with `reelforge users create NAME`")
            return user

    def create_key(self, user_id: str) -> str:
        """A new API key for the user; the token is returned once and only its hash is kept."""
        user = self.user(user_id)
        prefix = secrets.token_hex(4)
        token = f"{_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        with self.session() as s:
            s.add(ApiKey(user_id=user.id, prefix=prefix, sha256=hash_key(token)))
        return token

    def keys(self, user_id: str) -> list[ApiKey]:
        """The user's keys, oldest first (prefixes and dates: the tokens themselves are not kept)."""
        user = self.user(user_id)
        with self.session() as s:
            return list(s.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)))

    def revoke_key(self, key: str) -> ApiKey:
        """Revoke a key, named by its prefix (as `keys` lists it) or given whole; the revoked key.

        Servers remember a checked key for `reelforge.api.auth.KEY_CACHE_SECONDS` at most."""
        prefix = _prefix(key)
        with self.session() as s:
            found = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
            if found is None:
                raise InputError(f"no API key {prefix!r}: `reelforge keys list USER` shows a user's keys")
            found.revoked = True
            return found

    def user_for_key(self, token: str) -> User | None:
        prefix = _prefix(token)
        if not token.startswith(_KEY_PREFIX) or len(prefix) != 8:
            return None
        with self.session() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked.is_(False)))
            if key is None or not hmac.compare_digest(key.sha256, hash_key(token)):
                return None
            return s.get(User, key.user_id)

    def grant(self, user_id: str, credits: int) -> int:
        with self.session() as s:
            self._change_credits(s, self.user(user_id).id, credits, "grant")
        return self.user(user_id).credits

    def ledger(self, user_id: str) -> list[CreditEntry]:
        with self.session() as s:
            return list(
                s.scalars(select(CreditEntry).where(CreditEntry.user_id == user_id).order_by(CreditEntry.id))
            )

    @staticmethod
    def _change_credits(s: Session, user_id: str, delta: int, reason: str, job_id: str | None = None) -> None:
        s.execute(update(User).where(User.id == user_id).values(credits=User.credits + delta))
        s.add(CreditEntry(user_id=user_id, job_id=job_id, delta=delta, reason=reason))

    def _charge(self, s: Session, job: Job) -> None:
        """Take the job's credits, atomically refusing when the balance is short."""
        if job.credits <= 0:
            return
        taken = s.execute(
            update(User)
            .where(User.id == job.user_id, User.credits >= job.credits)
            .values(credits=User.credits - job.credits)
        ).rowcount
        if not taken:
            balance = s.scalar(select(User.credits).where(User.id == job.user_id))
            raise InsufficientCredits(
                f"this video costs {job.credits} credits and the balance is {balance}: ask an admin for more"
            )
        s.add(CreditEntry(user_id=job.user_id, job_id=job.id, delta=-job.credits, reason="charge"))

    def _refund(self, s: Session, job: Job) -> None:
        if job.credits > 0:
            self._change_credits(s, job.user_id, job.credits, "refund", job.id)
            job.credits = 0

    # -- jobs -------------------------------------------------------------------------------------------

    def create_jobs(self, user: User, items: list[dict[str, Any]], *, batch: bool = False) -> list[Job]:
        """Queue jobs (each: request, storyboard, model, quality, priority, credits, callback_url) and charge
        them all in one transaction: either every job is queued and paid, or none is."""
        batch_id = new_id() if batch else None
        jobs = [
            Job(id=new_id(), user_id=user.id, batch_id=batch_id, artifacts={}, result={}, **item)
            for item in items
        ]
        with self.session() as s:
            for job in jobs:
                s.add(job)
                s.flush()
                self._charge(s, job)
                for position, name in enumerate(STAGES):
                    s.add(JobStage(job_id=job.id, name=name, position=position))
        return [self.job(job.id) for job in jobs]

    def job(self, job_id: str, user: User | None = None) -> Job | None:
        """The job, or None when it does not exist or belongs to someone else (admins see every job)."""
        with self.session() as s:
            job = s.get(Job, job_id)
            if job is None or (user is not None and not user.is_admin and job.user_id != user.id):
                return None
            return job

    def jobs(
        self,
        user: User,
        *,
        status: str | None = None,
        batch_id: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[Job], int]:
        """A page of the user's jobs, newest first, and how many match in all."""
        query = select(Job).where(Job.user_id == user.id)
        if status:
            query = query.where(Job.status == status)
        if batch_id:
            query = query.where(Job.batch_id == batch_id)
        with self.session() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset))
            return list(rows), total

    def start(self, job_id: str, attempt: int) -> Job | None:
        """Mark a queued job running; None if it was cancelled, finished or retried meanwhile."""
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            if job is None or job.status in FINISHED or job.attempt != attempt:
                return None
            job.status, job.started_at, job.error = "running", job.started_at or now(), None
            return job

    def progress(self, job_id: str, attempt: int, stage: str, done: int, total: int) -> bool:
        """Record a stage's progress and the job's percentage. False when this attempt should stop: the job
        was cancelled, or retried (a newer attempt owns it)."""
        with self.session() as s:
            job = s.get(Job, job_id)
            if job is None or job.attempt != attempt or job.status != "running":
                return False
            row = next((st for st in job.stages if st.name == stage), None)
            if row is not None:
                row.done, row.total = done, total
                row.started_at = row.started_at or now()
                if done >= total:
                    row.finished_at = now()
            job.stage = stage
            job.percent = round(
                sum(
                    _WEIGHTS.get(st.name, 0) * (min(st.done, st.total) / st.total if st.total else 0)
                    for st in job.stages
                )
                * 100
                / sum(_WEIGHTS.values()),
                1,
            )
            return True

    def succeed(self, job_id: str, attempt: int, artifacts: dict[str, str], result: dict[str, Any]) -> None:
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            if job is None or job.attempt != attempt or job.status != "running":
                return
            job.status, job.percent, job.stage, job.finished_at = "succeeded", 100.0, None, now()
            job.artifacts, job.result = artifacts, result
            job.cost_usd = float(result.get("cost_usd", 0.0))

    def fail(self, job_id: str, attempt: int, error: str) -> None:
        """Mark the job failed and refund it (unless it was cancelled or retried meanwhile)."""
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            if job is None or job.attempt != attempt or job.status in FINISHED:
                return
            job.status, job.error, job.finished_at = "failed", error, now()
            self._refund(s, job)

    def cancel(self, job_id: str) -> Job:
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            assert job is not None
            if job.status in FINISHED:
                raise InputError(f"job {job_id} has already {job.status}: nothing to cancel")
            job.status, job.finished_at, job.error = "cancelled", now(), "cancelled by the user"
            self._refund(s, job)
            return job

    def requeue(
        self, job_id: str, storyboard: dict[str, Any] | None = None, credits: int | None = None
    ) -> Job:
        """Queue a finished job again (retry, or re-render after an edit), charging it again."""
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            assert job is not None
            if job.status not in FINISHED:
                raise InputError(f"job {job_id} is {job.status}: wait for it to finish or cancel it first")
            if storyboard is not None:
                job.storyboard = storyboard
            job.credits = job.credits if credits is None else credits
            self._charge(s, job)
            job.status, job.error, job.percent, job.stage = "queued", None, 0.0, None
            job.attempt += 1
            job.started_at = job.finished_at = None
            for stage in job.stages:
                stage.done = stage.total = 0
                stage.started_at = stage.finished_at = None
            return job
