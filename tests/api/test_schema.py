"""schemathesis against the server's own OpenAPI schema: no 500s, every response matches the schema.

The caller has no credits, so generated requests never start renders (they are answered 402)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.api.conftest import board, finished


@pytest.fixture(scope="module")
def api_schema(sqlite_server):
    return schemathesis.openapi.from_dict(httpx.get(f"{sqlite_server.url}/openapi.json").json())


@pytest.fixture(scope="module")
def caller(sqlite_server):
    """A user with one finished job (so file routes have something to serve) and no credits left."""
    api = sqlite_server.client(credits=1)
    job = api.post("/api/v1/videos/generate", json={"storyboard": board("Schema check.")}).json()
    assert finished(api, job["id"])["status"] == "succeeded"
    return api


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def test_api_conforms_to_its_schema(api_schema, sqlite_server, caller):
    headers = {"Authorization": caller.headers["Authorization"]}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate(base_url=sqlite_server.url, headers=headers, checks=CHECKS)

        conforms()
