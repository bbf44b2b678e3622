"""A video from a topic: the server's LLM planner (here a fake OpenAI-compatible server) writes the
storyboard, and the job renders it."""

from __future__ import annotations

import pytest

from tests.api.conftest import finished, start_server
from tests.fakes.openai_compatible import FakeOpenAI, Reply
from tests.plan.conftest import answer


@pytest.fixture(scope="module")
def planning_server(tmp_path_factory):
    with FakeOpenAI(default=Reply(answer)) as llm:
        folder = tmp_path_factory.mktemp("topic")
        env = {
            "LLM_BASE_URL": llm.url,
            "LLM_MODEL": "fake-small",
            "LLM_TIMEOUT": "10",
            "LLM_MAX_RETRIES": "1",
        }
        for server in start_server(folder, f"sqlite:///{folder / 'jobs.db'}", **env):
            yield server, llm


def test_a_topic_is_planned_by_the_llm_and_rendered(planning_server):
    server, llm = planning_server
    api = server.client()
    request = {
        "topic": "Why bees matter",
        "context": "for kids",
        "resolution": 240,
        "quality": "low",
        "music": "none",
        "aspect": "1:1",
        "seconds": 20,
    }
    answer_ = api.post("/api/v1/videos/generate", json=request)
    assert answer_.status_code == 202, answer_.text
    done = finished(api, answer_.json()["id"], timeout=120)
    assert done["status"] == "succeeded", done["error"]
    assert done["title"] == "Why Bees Matter"
    meta = api.get(f"/api/v1/videos/jobs/{done['id']}/metadata").json()
    assert meta["resolution"] == "240x240" and len(meta["scenes"]) == 3
    assert meta["scenes"][0]["narration"].startswith("Scene 1: bees carry pollen")
    prompt = "\n".join(str(m["content"]) for m in llm.chats[0]["messages"])
    assert "Why bees matter" in prompt and "for kids" in prompt
