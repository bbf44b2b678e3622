"""Chat over the API (`POST /api/v1/chat`, `GET /api/v1/chat/models`): a real server whose LLM is a fake
OpenAI-compatible server, and one with no LLM configured."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.conftest import start_server
from tests.fakes.openai_compatible import Fail, FakeOpenAI, Reply
from tests.plan.conftest import LLM_ENV

BOARD = {
    "title": "Rivers",
    "model": "motion",
    "scenes": [
        {"narration": "Every river starts as a drop of rain.", "visual": "rain on a mountain"},
        {"narration": "Drop by drop, it carves stone.", "visual": "a stream over rocks"},
        {"narration": "At last it reaches the sea.", "visual": "a delta from above"},
    ],
}


def server_with(tmp_path_factory, name: str, **env: str):
    """A server started with no LLM setting from this environment, only `env`."""
    with pytest.MonkeyPatch.context() as patch:
        for variable in LLM_ENV:
            patch.delenv(variable, raising=False)
        folder = tmp_path_factory.mktemp(name)
        yield from start_server(folder, f"sqlite:///{folder / 'jobs.db'}", **env)


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    with FakeOpenAI(default=Reply("Start with a question.")) as llm:
        env = {"LLM_BASE_URL": llm.url, "LLM_MODEL": "fake-small", "LLM_API_KEY": "sk-test-secret-123",
               "LLM_TIMEOUT": "10", "LLM_MAX_RETRIES": "0"}  # fmt: skip
        for server in server_with(tmp_path_factory, "chat", **env):
            yield server, llm


def say(text: str, mode: str = "general", **extra) -> dict:
    return {"mode": mode, "messages": [{"role": "user", "content": text}], **extra}


def events(body: str) -> list[tuple[str, dict]]:
    """(event, JSON data) of each Server-Sent Event in a response body; pings left out."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_a_general_question_gets_the_llm_answer(chat_server):
    server, llm = chat_server
    api = server.client()
    assert httpx.post(f"{server.url}/api/v1/chat", json=say("hi")).status_code == 401
    llm.then(Reply("Open with a question, then show the answer."))
    sent_before = len(llm.chats)
    answer = api.post("/api/v1/chat", json=say("How do I hook viewers?"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "mode": "general",
        "model": "fake-small",
        "text": "Open with a question, then show the answer.",
        "storyboard": None,
        "edits": [],
    }
    sent = llm.chats[sent_before]
    assert sent["model"] == "fake-small" and sent["messages"][-1]["content"] == "How do I hook viewers?"
    other = api.post("/api/v1/chat", json=say("again", model="fake-large"))
    assert other.json()["model"] == "fake-large" and llm.chats[-1]["model"] == "fake-large"


def test_editor_edits_come_back_with_from_on_the_wire(chat_server):
    server, llm = chat_server
    plan = {
        "summary": "The sea first, and a new title.",
        "edits": [
            {"op": "move", "from": "/scenes/2", "path": "/scenes/0", "value": "", "reason": "hook"},
            {"op": "replace", "path": "/title", "value": "Where Rivers End", "from": "", "reason": "fit"},
        ],
    }
    llm.then(Reply(json.dumps(plan)))
    answer = server.client().post("/api/v1/chat", json=say("Start at the sea", "editor", storyboard=BOARD))
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert reply["text"] == "The sea first, and a new title."
    assert reply["edits"][0] == plan["edits"][0] and "from_" not in reply["edits"][0]
    assert reply["storyboard"]["title"] == "Where Rivers End"
    narrations = [s["narration"] for s in reply["storyboard"]["scenes"]]
    assert narrations == [BOARD["scenes"][i]["narration"] for i in (2, 0, 1)]
    missing = server.client().post("/api/v1/chat", json=say("shorter", "editor"))
    assert missing.status_code == 422 and "needs the storyboard" in missing.json()["error"]["message"]


def test_scripter_streams_deltas_then_the_whole_reply(chat_server):
    server, llm = chat_server
    api = server.client()
    llm.then(Reply("Rivers begin as rain. They end in the sea."))
    with api.stream("POST", "/api/v1/chat", json=say("Narration about rivers", "scripter", stream=True)) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        got = events(r.read().decode())
    deltas = [data["text"] for name, data in got if name == "delta"]
    assert len(deltas) > 3 and "".join(deltas) == "Rivers begin as rain. They end in the sea."
    assert got[-1] == (
        "reply",
        {"mode": "scripter", "model": "fake-small", "text": "".join(deltas), "storyboard": None, "edits": []},
    )
    assert llm.chats[-1]["stream"] is True
    planner = api.post("/api/v1/chat", json=say("bees", "planner", stream=True))
    assert planner.status_code == 422 and "streaming is for general and scripter" in planner.text


def test_llm_failures_answer_502_without_the_key(chat_server):
    server, llm = chat_server
    api = server.client()
    refused = Fail(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
    for body in (say("hi"), say("hi", stream=True)):
        llm.then(refused)
        answer = api.post("/api/v1/chat", json=body)
        assert answer.status_code == 502, answer.text
        error = answer.json()["error"]
        assert error["code"] == "provider_error" and "LLM_API_KEY" in error["message"]
        assert "sk-test-secret" not in answer.text
    llm.then(Fail(404, "The model `gone` does not exist", "invalid_request_error", "model_not_found"))
    assert api.post("/api/v1/chat", json=say("hi")).status_code == 422


def test_chat_models_lists_what_the_endpoint_serves(chat_server):
    server, _ = chat_server
    answer = server.client().get("/api/v1/chat/models")
    assert answer.status_code == 200
    assert answer.json() == {"default": "fake-small", "models": ["fake-large", "fake-small"]}


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    yield from server_with(tmp_path_factory, "no-llm")


def test_without_an_llm_chat_is_refused_naming_the_settings(bare_server):
    api = bare_server.client()
    for answer in (api.post("/api/v1/chat", json=say("hi")), api.get("/api/v1/chat/models")):
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "llm_not_configured" and "LLM_BASE_URL" in error["message"]
