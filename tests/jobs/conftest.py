"""Job-system fixtures: a database per test on SQLite and (when installed) on a real PostgreSQL server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelforge.jobs.store import Store
from tests.jobs.servers import new_database, postgres, postgres_missing


@pytest.fixture(scope="session")
def postgres_server():
    missing = postgres_missing()
    if missing:
        pytest.skip(missing)
    with postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return new_database(request.getfixturevalue("postgres_server"))


@dataclass
class GatedJobs:
    """What a test with gated workers needs: the gate folder (`open` releases the `gated` model, which
    logs its calls to `calls.log`), the job store, and the environment for worker processes."""

    gate: Path
    store: Store
    env: dict[str, str]


def gated_jobs(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GatedJobs:
    gate = tmp_path / "gate"
    gate.mkdir()
    monkeypatch.setenv("REELFORGE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("REELFORGE_DATABASE_URL", database_url)
    env = {**os.environ, "REELFORGE_CACHE": str(tmp_path / "cache"), "GATE_DIR": str(gate)}
    return GatedJobs(gate, Store(database_url), env)


@pytest.fixture
def gated(database_url, tmp_path, monkeypatch) -> GatedJobs:
    """Gated workers' set-up on SQLite and PostgreSQL."""
    return gated_jobs(database_url, tmp_path, monkeypatch)


@pytest.fixture
def gated_sqlite(tmp_path, monkeypatch) -> GatedJobs:
    """Gated workers' set-up on SQLite only."""
    return gated_jobs(f"sqlite:///{tmp_path / 'jobs.db'}", tmp_path, monkeypatch)
