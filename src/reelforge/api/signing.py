"""Short-lived signed links to a job's files, for players (a `<video>` element sends no API key)."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(key: bytes, job_id: str, expires_in: int) -> str:
    expires = int(time.time()) + expires_in
    return f"{expires}.{_mac(key, job_id, expires)}"


def verify(key: bytes, job_id: str, token: str) -> bool:
    expires, _, mac = token.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(mac, _mac(key, job_id, int(expires)))


def _mac(key: bytes, job_id: str, expires: int) -> str:
    return hmac.new(key, f"files:{job_id}:{expires}".encode(), hashlib.sha256).hexdigest()
