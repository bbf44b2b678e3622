"""Security over a real server: isolation between users, keys, path traversal, bodies, SSRF."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import board, finished


@pytest.fixture(scope="module")
def owner_job(sqlite_server):
    owner = sqlite_server.client(credits=2)
    job = owner.post("/api/v1/videos/generate", json={"storyboard": board("Private matters.")}).json()
    assert finished(owner, job["id"])["status"] == "succeeded"
    return owner, job["id"]


ROUTES = [
    ("GET", "status"),
    ("GET", "events"),
    ("GET", "video-url"),
    ("GET", "stream"),
    ("GET", "download"),
    ("GET", "thumbnail"),
    ("GET", "captions.srt"),
    ("GET", "captions.vtt"),
    ("GET", "metadata"),
    ("POST", "cancel"),
    ("POST", "retry"),
    ("PATCH", "storyboard"),
]


def _error(answer: httpx.Response) -> dict:
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_users_job_is_not_found(sqlite_server, owner_job, method, route):
    owner, job_id = owner_job
    other = sqlite_server.client(credits=5)
    kwargs = {"json": {"scenes": [{"index": 0, "narration": "mine now"}]}} if method == "PATCH" else {}
    theirs = other.request(method, f"/api/v1/videos/jobs/{job_id}/{route}", **kwargs)
    nobody = other.request(method, f"/api/v1/videos/jobs/{'0' * 32}/{route}", **kwargs)
    assert theirs.status_code == nobody.status_code == 404  # not 403: ids reveal nothing
    assert _error(theirs)["code"] == "not_found" and job_id not in theirs.text.replace(f"{job_id!r}", "")
    assert other.get("/api/v1/videos/jobs").json()["total"] == 0
    assert owner.get(f"/api/v1/videos/jobs/{job_id}/status").json()["status"] == "succeeded"


def test_an_admin_sees_every_job(sqlite_server, owner_job):
    _, job_id = owner_job
    admin = sqlite_server.client(admin=True)
    assert admin.get(f"/api/v1/videos/jobs/{job_id}/status").status_code == 200
    assert admin.get(f"/api/v1/videos/jobs/{job_id}/thumbnail").content[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer rf_00000000_nope"},
        {"X-API-Key": "x"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_invalid_key_is_401(sqlite_server, owner_job, headers):
    _, job_id = owner_job
    for method, path in (
        ("GET", "/api/v1/videos/jobs"),
        ("GET", f"/api/v1/videos/jobs/{job_id}/stream"),
        ("POST", "/api/v1/videos/generate"),
    ):
        answer = httpx.request(method, sqlite_server.url + path, headers=headers, json={"script": "x"})
        assert answer.status_code == 401 and _error(answer)["code"] == "unauthorized"
        assert "rf_" not in answer.text


def test_x_api_key_header_works_too(sqlite_server):
    api = sqlite_server.client()
    key = api.headers["Authorization"].removeprefix("Bearer ")
    assert (
        httpx.get(f"{sqlite_server.url}/api/v1/account", headers={"X-API-Key": key}).json()["id"]
        == api.user_id
    )


def test_keys_are_stored_hashed(sqlite_server):
    api = sqlite_server.client()
    key = api.headers["Authorization"].removeprefix("Bearer ")
    from sqlalchemy import text

    with sqlite_server.store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT prefix, sha256 FROM api_keys"))]
    assert all(key not in " ".join(row) and key.split("_", 2)[2] not in " ".join(row) for row in rows)
    assert any(prefix == key.split("_")[1] for prefix, _ in rows)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/videos/jobs/..%2F..%2F..%2Fetc%2Fpasswd/stream",
        "/api/v1/videos/jobs/../../../../etc/passwd",
        "/api/v1/videos/jobs/%2e%2e/captions.srt",
        "/api/v1/videos/jobs/{job}/captions.%2e%2e%2fmetadata",
        "/api/v1/videos/jobs/{job}/captions.../../x",
        "/api/v1/videos/jobs/{job}/stream?token=..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_path_traversal_reaches_no_file(sqlite_server, owner_job, path):
    owner, job_id = owner_job
    answer = owner.get(path.replace("{job}", job_id))
    assert answer.status_code in (404, 422) or answer.headers["content-type"] == "video/mp4", answer.text
    assert b"root:" not in answer.content
    if answer.status_code != 200:
        _error(answer)


@pytest.mark.parametrize(
    ("field", "value"), [("clip", "/etc/passwd"), ("clip", "../../secret.mp4"), ("music", "/etc/passwd")]
)
def test_a_storyboard_cannot_name_server_files(sqlite_server, field, value):
    api = sqlite_server.client()
    story = board("Sneaky.")
    if field == "clip":
        story["scenes"][0]["clip"] = value
    else:
        story["music"] = {"track": value}
    answer = api.post("/api/v1/videos/generate", json={"storyboard": story})
    assert answer.status_code == 422 and "through the API" in _error(answer)["message"]
    assert api.get("/api/v1/videos/jobs").json()["total"] == 0


def test_oversized_and_malformed_bodies_are_4xx(sqlite_server):
    api = sqlite_server.client()
    huge = api.post(
        "/api/v1/videos/generate",
        content=b"{" + b" " * (2 << 20) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and _error(huge)["code"] == "payload_too_large"

    def chunks():
        yield b'{"script": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    streamed = api.post(
        "/api/v1/videos/generate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    for body in (
        b"{not json",
        b"[]",
        b'{"script": 5}',
        b'{"script": "a", "storyboard": {}}',
        b"null",
        b'{"script": "a", "priority": "urgent"}',
        b'{"script": "a", "resolution": 241}',
        b'{"storyboard": {"title": "x", "scenes": []}}',
        b'{"script": "\\ud800"}',
    ):
        answer = api.post(
            "/api/v1/videos/generate", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, (body, answer.text)
        assert _error(answer)["message"] and "Traceback" not in answer.text
    unknown = api.post("/api/v1/videos/generate", json={"storyboard": board("x", model="no-such-model")})
    assert unknown.status_code == 422 and "unknown video model" in _error(unknown)["message"]
    assert api.get("/api/v1/videos/jobs").json()["total"] == 0
    wrong = api.get("/api/v1/videos/jobs", params={"limit": 10_000})
    assert wrong.status_code == 422 and wrong.json()["error"]["message"].startswith("query.limit")
    assert _error(api.delete("/api/v1/videos/jobs"))["code"] == "method_not_allowed"
    assert _error(api.get("/api/v1/nothing"))["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://0.0.0.0/x",
        "http://2130706433/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://user:pw@example.com/",
        "ftp://example.com/x",
        "http://[fd00::1]/x",
    ],
)
def test_webhook_ssrf_is_refused(sqlite_server, url):
    api = sqlite_server.client()
    answer = api.post("/api/v1/videos/generate", json={"storyboard": board("Hook."), "callback_url": url})
    assert answer.status_code == 422 and _error(answer)["message"].startswith("callback_url:"), answer.text
    assert api.get("/api/v1/videos/jobs").json()["total"] == 0
