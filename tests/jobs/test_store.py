"""The job database on SQLite and PostgreSQL: schema by migration, keys hashed at rest, credits that never
overspend, and the command line that manages users and keys."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import inspect, text

from reelforge.config import Settings
from reelforge.errors import InputError
from reelforge.jobs.store import InsufficientCredits, Store, credits_for, hash_key

BOARD = {"title": "t", "model": "motion", "scenes": [{"narration": "x"}]}


def item(credits: int = 1) -> dict:
    return {
        "request": {},
        "storyboard": BOARD,
        "model": "motion",
        "quality": "low",
        "priority": "normal",
        "credits": credits,
    }


def test_migrations_create_every_table(database_url):
    store = Store(database_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"users", "api_keys", "jobs", "job_stages", "credit_ledger", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        if store.engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    Store(database_url)  # opening again is a no-op upgrade


def test_keys_are_hashed_and_checked_by_value(database_url):
    store = Store(database_url)
    user = store.create_user("ann")
    key = store.create_key(user.id)
    assert store.user_for_key(key).id == user.id
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT prefix, sha256 FROM api_keys")).one()
    assert stored.sha256 == hash_key(key) and key.split("_", 2)[2] not in stored.prefix + stored.sha256
    for wrong in (
        key[:-1] + ("A" if key[-1] != "A" else "B"),
        f"rf_{stored.prefix}_guess",
        "rf_x",
        "",
        "nope",
    ):
        assert store.user_for_key(wrong) is None


def test_concurrent_charges_never_overspend(database_url):
    store = Store(database_url)
    user = store.create_user("bob", credits=5)

    def submit(_: int) -> bool:
        try:
            store.create_jobs(user, [item()])
            return True
        except InsufficientCredits:
            return False

    with ThreadPoolExecutor(8) as pool:
        accepted = sum(pool.map(submit, range(12)))
    assert accepted == 5 and store.user(user.id).credits == 0
    assert store.jobs(user)[1] == 5
    assert sum(e.delta for e in store.ledger(user.id)) == 0


def test_a_batch_is_paid_for_whole_or_not_at_all(database_url):
    store = Store(database_url)
    user = store.create_user("cy", credits=3)
    with pytest.raises(InsufficientCredits, match="costs 2 credits and the balance is 1"):
        store.create_jobs(user, [item(2), item(2)], batch=True)
    assert store.user(user.id).credits == 3 and store.jobs(user)[1] == 0
    jobs = store.create_jobs(user, [item(1), item(2)], batch=True)
    assert len({j.batch_id for j in jobs}) == 1 and store.user(user.id).credits == 0


def test_revoked_keys_stop_working(database_url):
    store = Store(database_url)
    user = store.create_user("cy")
    first, second = store.create_key(user.id), store.create_key("cy")
    prefix = first.split("_")[1]
    assert store.revoke_key(prefix).prefix == prefix
    assert store.user_for_key(first) is None and store.user_for_key(second).id == user.id
    store.revoke_key(second)  # the whole key works too
    assert store.user_for_key(second) is None
    assert [(k.prefix, k.revoked) for k in store.keys("cy")] == [(prefix, True), (second.split("_")[1], True)]
    with pytest.raises(InputError, match="no API key 'ffffffff'"):
        store.revoke_key("ffffffff")


def test_cost_per_model_and_quality(monkeypatch):
    monkeypatch.setenv("VIDEO_TOKEN_COST", "3")
    monkeypatch.setenv("REELFORGE_VIDEO_TOKEN_COSTS", '{"veo-3": 10, "veo-3:ultra": 25, ":high": 5}')
    config = Settings()
    assert credits_for(config, "motion", "low") == 3
    assert credits_for(config, "motion", "high") == 5
    assert credits_for(config, "veo-3", "low") == 10
    assert credits_for(config, "veo-3", "ultra") == 25


def test_command_line_manages_users_and_keys(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = {**os.environ, "REELFORGE_DATABASE_URL": database_url, "REELFORGE_DATA": str(tmp_path)}
    cli = [sys.executable, "-m", "reelforge"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*cli, *args], env=env, capture_output=True, text=True)

    assert run("db", "upgrade").returncode == 0
    user_id = run("users", "create", "dee", "--credits", "4").stdout.strip()
    key = run("keys", "create", "dee").stdout.strip()
    assert run("users", "credit", "dee", "6").stdout.strip() == "10"
    store = Store(database_url)
    assert store.user_for_key(key).id == user_id and store.user(user_id).credits == 10
    again = run("users", "create", "dee")
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "exists already" in again.stderr
    listed = run("keys", "list", "dee").stdout.split()
    assert listed[0] == key.split("_")[1] and listed[-1] == "active"
    assert run("keys", "revoke", listed[0]).stdout.strip() == f"revoked {listed[0]}"
    assert store.user_for_key(key) is None and run("keys", "list", "dee").stdout.split()[-1] == "revoked"
    unknown = run("keys", "revoke", "ffffffff")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "keys list" in unknown.stderr
    missing = run("keys", "create", "nobody")
    assert (
        missing.returncode == 2 and "no user 'nobody'" in missing.stderr and "Traceback" not in missing.stderr
    )
    bad = subprocess.run(
        [*cli, "db", "upgrade"],
        capture_output=True,
        text=True,
        env={**env, "REELFORGE_DATABASE_URL": "postgresql://u:secretpw@127.0.0.1:1/x"},
    )
    assert bad.returncode == 2 and "REELFORGE_DATABASE_URL" in bad.stderr and "secretpw" not in bad.stderr
