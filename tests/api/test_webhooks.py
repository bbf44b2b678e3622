"""Webhooks: a signed POST when a job succeeds or fails, retried until the receiver accepts it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import board, finished, start_server
from tests.jobs.servers import wait_for

SECRET = "test-webhook-secret"


@pytest.fixture(scope="module")
def hook_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hooks")
    yield from start_server(
        folder,
        f"sqlite:///{folder / 'jobs.db'}",
        REELFORGE_ALLOW_PRIVATE_URLS="1",
        REELFORGE_WEBHOOK_SECRET=SECRET,
    )


@pytest.fixture
def receiver():
    """A local HTTP receiver that answers 503 to the first delivery of each job and 204 after."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen = [r for r in received if r["body"] == body]
            received.append({"body": body, "headers": dict(self.headers), "at": time.monotonic()})
            self.send_response(503 if not seen else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", received
    httpd.shutdown()


def _verify(delivery: dict) -> dict:
    headers = {k.lower(): v for k, v in delivery["headers"].items()}
    expected = hmac.new(
        SECRET.encode(), headers["x-reelforge-timestamp"].encode() + b"." + delivery["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-reelforge-signature"], f"sha256={expected}")
    assert abs(int(headers["x-reelforge-timestamp"]) - time.time()) < 120
    return json.loads(delivery["body"])


def test_success_and_failure_are_posted_signed_and_retried(hook_server, receiver):
    url, received = receiver
    api = hook_server.client(credits=2)
    ok = api.post(
        "/api/v1/videos/generate", json={"storyboard": board("Hooked."), "callback_url": url}
    ).json()
    bad = api.post(
        "/api/v1/videos/generate",
        json={"storyboard": board("fail hook|No.", model="gated"), "callback_url": url},
    ).json()
    assert finished(api, ok["id"])["status"] == "succeeded" and finished(api, bad["id"])["status"] == "failed"
    wait_for(lambda: len(received) >= 4, 30, "two deliveries per job (the first refused)")
    payloads = [_verify(d) for d in received]
    by_job = {p["job"]["id"]: p for p in payloads}
    assert by_job[ok["id"]]["event"] == "job.succeeded" and "video.mp4" in by_job[ok["id"]]["job"]["files"]
    assert by_job[bad["id"]]["event"] == "job.failed" and "refused" in by_job[bad["id"]]["job"]["error"]
    for job_id in (ok["id"], bad["id"]):
        tries = [d for d, p in zip(received, payloads, strict=True) if p["job"]["id"] == job_id]
        assert len(tries) == 2 and tries[1]["at"] - tries[0]["at"] >= 0.1  # retried after a backoff
    tampered = dict(received[0], body=received[0]["body"] + b" ")
    with pytest.raises(AssertionError):
        _verify(tampered)
