"""A real reelforge server (uvicorn on loopback, in-process worker) over SQLite and PostgreSQL, and clients
holding API keys of fresh users."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from reelforge.jobs.store import Store
from tests.jobs.conftest import postgres_server  # noqa: F401  (a fixture)
from tests.jobs.servers import Process, free_port, new_database, wait_for


@dataclass
class Server:
    url: str
    store: Store
    data: Path
    gate: Path
    process: Process
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, *, credits: int = 10, admin: bool = False, name: str | None = None) -> httpx.Client:
        """An HTTP client with the API key of a new user."""
        user = self.store.create_user(name or f"u{os.urandom(5).hex()}", credits=credits, admin=admin)
        key = self.store.create_key(user.id)
        client = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        client.user_id = user.id  # type: ignore[attr-defined]
        self.clients.append(client)
        return client


def start_server(folder: Path, database_url: str, *options: str, **env: str) -> Iterator[Server]:
    """`reelforge serve` (with the test model `gated`) on a free loopback port; `options` go to `serve`."""
    folder.mkdir(parents=True, exist_ok=True)
    gate = folder / "gate"
    gate.mkdir(exist_ok=True)
    port = free_port()
    environment = {
        **os.environ,
        "REELFORGE_DATA": str(folder / "data"),
        "REELFORGE_CACHE": str(folder / "cache"),
        "REELFORGE_DATABASE_URL": database_url,
        "GATE_DIR": str(gate),
        **env,
    }
    argv = [
        sys.executable,
        "-m",
        "tests.jobs.gated_worker",
        "serve",
        "--port",
        str(port),
        "--executor-id",
        "api-t",
        *options,
    ]
    process = Process(argv, environment, folder / "server.log")
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{process.output()[-3000:]}")
        try:
            return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    server = None
    try:
        wait_for(up, 60, "the server", 0.1)
        server = Server(url, Store(database_url, migrate=False), folder / "data", gate, process)
        yield server
    finally:
        for client in server.clients if server else ():
            client.close()  # open keep-alive connections would hold up the server's graceful shutdown
        process.stop()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    yield from start_server(folder, f"sqlite:///{folder / 'jobs.db'}")


@pytest.fixture(scope="module")
def postgresql_server(tmp_path_factory, postgres_server) -> Iterator[Server]:  # noqa: F811
    yield from start_server(tmp_path_factory.mktemp("server"), new_database(postgres_server))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request) -> Server:
    """The same tests on both databases (one server per database and test module)."""
    return request.getfixturevalue(f"{request.param}_server")


def finished(client: httpx.Client, job_id: str, timeout: float = 90) -> dict:
    """The job's status once it has finished."""

    def done() -> dict | None:
        body = client.get(f"/api/v1/videos/jobs/{job_id}/status").json()
        return body if body["status"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(done, timeout, f"job {job_id}", 0.1)


def board(*scenes: str, model: str = "motion", **extra) -> dict:
    """A tiny storyboard (240x426, 24 fps, low quality): a scene per narration, `visual|narration` allowed."""
    parts = [s.split("|", 1) if "|" in s else [s, s] for s in scenes]
    return {
        "title": "Test",
        "model": model,
        "music": {"track": "none"},
        "output": {"aspect": "9:16", "resolution": 240, "fps": 24, "quality": "low"},
        "scenes": [{"visual": v, "narration": n} for v, n in parts],
        **extra,
    }
