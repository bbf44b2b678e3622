"""`GET /api/v1/account`: who the key belongs to and the credit balance."""

from __future__ import annotations

from fastapi import APIRouter, Request

from reelforge.api.auth import CurrentUser
from reelforge.api.errors import ERROR_RESPONSES
from reelforge.api.schemas import Account

router = APIRouter(tags=["account"], responses=ERROR_RESPONSES)


@router.get("/account", response_model=Account)
def account(request: Request, user: CurrentUser) -> Account:
    fresh = request.app.state.store.user(user.id)
    return Account(id=fresh.id, name=fresh.name, is_admin=fresh.is_admin, credits=fresh.credits)
