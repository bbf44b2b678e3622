"""Job-system fixtures: a database per test on SQLite and (when installed) on a real PostgreSQL server."""

from __future__ import annotations

import pytest

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
