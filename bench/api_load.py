"""API load: p50/p99 latency of the status and SSE endpoints with N concurrent clients on loopback while a
job renders.

Starts a real `reelforge serve` (uvicorn, in-process worker, SQLite) in a temporary folder, queues one
render that keeps the worker busy, then measures:

- status: every client requests `GET .../status` `--requests` times back to back; latency per request;
- SSE: every client opens `GET .../events` and waits for its first `progress` event (time to first event),
  then keeps reading; the spread between the clients' receipt of the same update is the fan-out lag.

    .venv/bin/python bench/api_load.py --clients 200 --requests 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BOARD = {
    "title": "Load",
    "model": "motion",
    "music": {"track": "none"},
    "output": {"aspect": "9:16", "resolution": 480, "fps": 30, "quality": "low"},
    "scenes": [{"narration": f"Scene {n} keeps the worker busy for a while, on purpose."} for n in range(14)],
}


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {
        "n": len(values),
        "p50_ms": round(pick(0.5) * 1000, 1),
        "p99_ms": round(pick(0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


async def status_load(
    url: str, headers: dict, job: str, clients: int, requests: int
) -> tuple[list[float], int]:
    """Latencies of the requests that were answered, and how many failed at the transport level."""
    errors = 0

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def one() -> list[float]:
            nonlocal errors
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                try:
                    answer = await client.get(f"/api/v1/videos/jobs/{job}/status")
                except httpx.TransportError:
                    errors += 1
                    continue
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
            return times

        times = [t for ts in await asyncio.gather(*(one() for _ in range(clients))) for t in ts]
        return times, errors


async def sse_load(url: str, headers: dict, job: str, clients: int, seconds: float) -> dict:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    first: list[float] = []
    arrivals: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def one() -> None:
            started = time.perf_counter()
            seen_first = False
            async with client.stream("GET", f"/api/v1/videos/jobs/{job}/events") as answer:
                assert answer.status_code == 200
                async for line in answer.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    now = time.perf_counter()
                    if not seen_first:
                        first.append(now - started)
                        seen_first = True
                    else:
                        arrivals.setdefault(line, []).append(now)
                    if now - started > seconds:
                        return

        await asyncio.gather(*(one() for _ in range(clients)))
    spreads = [max(ts) - min(ts) for ts in arrivals.values() if len(ts) == clients]
    return {
        "first_event": percentiles(first),
        "fanout_spread": percentiles(spreads) if spreads else None,
        "updates_seen_by_all": len(spreads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=5, help="status requests per client")
    parser.add_argument("--sse-seconds", type=float, default=6.0, help="how long each SSE client listens")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reelforge-load-") as tmp:
        env = {**os.environ, "REELFORGE_DATA": f"{tmp}/data", "REELFORGE_CACHE": f"{tmp}/cache"}
        sys.path.insert(0, str(ROOT))
        from tests.jobs.servers import free_port, wait_for

        port = free_port()
        log = open(f"{tmp}/server.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-m", "reelforge", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(url), 60, "the server", 0.1)
            cli = [sys.executable, "-m", "reelforge"]
            run = lambda *a: subprocess.run([*cli, *a], env=env, check=True, capture_output=True, text=True)  # noqa: E731
            run("users", "create", "load", "--credits", "10")
            headers = {"Authorization": f"Bearer {run('keys', 'create', 'load').stdout.strip()}"}
            job = httpx.post(
                f"{url}/api/v1/videos/generate", json={"storyboard": BOARD}, headers=headers
            ).json()
            wait_for(lambda: _status(url, headers, job["id"]) == "running", 60, "the job to start", 0.1)
            status, errors = asyncio.run(status_load(url, headers, job["id"], args.clients, args.requests))
            running_during_status = _status(url, headers, job["id"]) == "running"
            sse = asyncio.run(sse_load(url, headers, job["id"], args.clients, args.sse_seconds))
            running_during_sse = _status(url, headers, job["id"]) == "running"
            result = {
                "clients": args.clients,
                "status": percentiles(status),
                "status_transport_errors": errors,
                "sse": sse,
                "job_running_throughout": running_during_status and running_during_sse,
                "cpus": os.cpu_count(),
            }
            print(json.dumps(result, indent=2))
        except Exception:
            print(Path(f"{tmp}/server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(20)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _status(url: str, headers: dict, job_id: str) -> str:
    return httpx.get(f"{url}/api/v1/videos/jobs/{job_id}/status", headers=headers).json()["status"]


if __name__ == "__main__":
    main()
