"""Webhooks: a signed POST to the job's callback URL when it succeeds or fails, retried with backoff.

The receiver checks `X-Reelforge-Signature: sha256=HEX`, where HEX is HMAC-SHA256 of
`TIMESTAMP.BODY` under the server's webhook key, and `X-Reelforge-Timestamp` is TIMESTAMP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time

import httpx
import stamina

from reelforge.config import Settings
from reelforge.jobs.models import Job
from reelforge.jobs.urls import check_public_url

log = logging.getLogger(__name__)


class _Retryable(Exception):
    """The receiver answered 5xx or 429: try again later."""


def secret(settings: Settings) -> bytes:
    """REELFORGE_WEBHOOK_SECRET, or a random key created once in DATA/webhook.key."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value().encode()
    path = settings.data_dir / "webhook.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: when the API and a worker start together, one key wins and both read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def payload(job: Job) -> dict:
    return {
        "event": f"job.{job.status}",
        "job": {
            "id": job.id,
            "status": job.status,
            "error": job.error,
            "batch_id": job.batch_id,
            "duration": job.result.get("duration"),
            "files": sorted(job.artifacts),
        },
    }


def notify(settings: Settings, job: Job, *, attempts: int = 6) -> bool:
    """Deliver the job's webhook; False (logged) if the receiver never accepted it."""
    assert job.callback_url
    body = json.dumps(payload(job), separators=(",", ":")).encode()
    key = secret(settings)
    try:
        check_public_url(job.callback_url, allow_private=settings.allow_private_urls)
        for attempt in stamina.retry_context(
            on=(httpx.TransportError, _Retryable), attempts=attempts, wait_initial=0.2, wait_max=10
        ):
            with attempt:
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Reelforge-Timestamp": timestamp,
                    "X-Reelforge-Signature": sign(key, timestamp, body),
                }
                answer = httpx.post(job.callback_url, content=body, headers=headers, timeout=10)
                if answer.status_code >= 500 or answer.status_code == 429:
                    raise _Retryable(answer.status_code)
        return answer.is_success
    except Exception as exc:  # a webhook never fails the job
        log.warning("webhook for job %s not delivered: %s", job.id, exc.__class__.__name__)
        return False
