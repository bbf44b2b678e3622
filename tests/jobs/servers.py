"""Real servers for tests, on loopback: PostgreSQL (Debian's binaries), moto's S3 server, a reelforge process.

PostgreSQL runs as the `postgres` user when the tests run as root (initdb refuses root)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


def postgres_missing() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)"
    return None


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server; yields the URL of its `postgres` database. Its folder is outside
    pytest's (which only root may enter)."""
    folder = Path(tempfile.mkdtemp(prefix="reelforge-pg-"))
    data, port = folder / "pgdata", free_port()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(folder, "postgres")

    def run(*args: str) -> None:
        command = " ".join(f"'{a}'" for a in args)
        argv = ["su", "postgres", "-c", command] if as_postgres else list(args)
        subprocess.run(argv, check=True, capture_output=True, cwd="/")

    run(
        str(PG_BIN / "initdb"),
        "-D",
        str(data),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A fresh, empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def moto_s3() -> Iterator[str]:
    """moto's S3-compatible server; yields its endpoint URL."""
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), 20, "moto_server")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=0.5)
        return True
    except httpx.TransportError:
        return False


class Process:
    """A reelforge process (server or worker) with its output in a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("ab")
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"process exited ({self.proc.returncode}):\n{self.output()[-3000:]}")
            return text in self.output()

        wait_for(seen, timeout, f"{text!r} in {self.log.name}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._handle.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._handle.close()
