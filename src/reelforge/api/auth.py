"""Who is asking: an API key in `Authorization: Bearer KEY` or `X-API-Key: KEY`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from reelforge.api.errors import ApiError
from reelforge.jobs.models import User
from reelforge.jobs.store import Store, hash_key

_bearer = HTTPBearer(auto_error=False, description="An API key from `reelforge keys create USER`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same API key, as a header")
KEY_CACHE_SECONDS = 30.0
"""How long a checked key is remembered in this process (a revoked key stops working within this time)."""
_known_keys: dict[str, tuple[User, float]] = {}
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def store(request: Request) -> Store:
    return request.app.state.store


def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> User:
    token = (bearer.credentials if bearer else None) or header
    if not token:
        message = "missing API key: send `Authorization: Bearer KEY` or `X-API-Key: KEY`"
        raise ApiError(401, message, headers=_CHALLENGE)
    digest = hash_key(token)
    known = _known_keys.get(digest)
    if known is None or known[1] < time.monotonic():
        user = store(request).user_for_key(token)
        if user is None:
            raise ApiError(
                401, "invalid API key: create one with `reelforge keys create USER`", headers=_CHALLENGE
            )
        known = _known_keys[digest] = (user, time.monotonic() + KEY_CACHE_SECONDS)
    return known[0]


CurrentUser = Annotated[User, Depends(current_user)]
