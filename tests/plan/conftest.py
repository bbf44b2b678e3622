"""A fake OpenAI-compatible server per test, with the LLM settings pointing at it and every other LLM
setting cleared (so a developer's own keys never leak into a test)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from reelforge.plan import llm
from tests.fakes.openai_compatible import FakeOpenAI, Reply

LLM_ENV = (
    "LLM_BASE_URL",
    "LLM_MODEL",
    "LLM_API_KEY",
    "OPENAI_API_KEY",
    "GROQ_API_KEY",
    "OLLAMA_HOST",
    "LLM_TIMEOUT",
    "LLM_MAX_RETRIES",
    "OPENAI_BASE_URL",
)


@pytest.fixture(autouse=True)
def fresh_format_memory(monkeypatch):
    """Forget which endpoints refused json_schema: a later fake may get the same loopback port."""
    monkeypatch.setattr(llm, "_FORMAT_LEVEL", {})


@pytest.fixture
def no_llm(monkeypatch, tmp_path):
    """No LLM configured (and no .env file in the working folder)."""
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake(no_llm, monkeypatch):
    with FakeOpenAI(default=Reply(answer)) as server:
        monkeypatch.setenv("LLM_BASE_URL", server.url)
        monkeypatch.setenv("LLM_MODEL", "fake-small")
        monkeypatch.setenv("LLM_TIMEOUT", "10")
        monkeypatch.setenv("LLM_MAX_RETRIES", "2")
        yield server


def prompt_of(body: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"])


def schema_name(body: dict[str, Any]) -> str:
    """The answer model a request asks for: from its json_schema, or the schema written into the prompt."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt["json_schema"]["name"]
    text = prompt_of(body)
    if '"summary"' in text and '"edits"' in text:
        return "EditPlan"
    if '"thumbnail_text"' in text:
        return "Draft"
    return "Plan" if '"scenes"' in text else ""


def cited_ids(body: dict[str, Any]) -> list[str]:
    """Passage ids listed in the planning prompt (`[notes.md#2] ...`)."""
    return re.findall(r"^\[([^\]\s]+#\d+)\]", prompt_of(body), flags=re.MULTILINE)


def plan_answer(body: dict[str, Any]) -> str:
    """A valid plan of as many scenes as the prompt allows (3 where it can), each citing one of the passages
    the prompt listed (round robin)."""
    ids = cited_ids(body)
    allowed = re.search(r"(\d+) to (\d+) scenes", prompt_of(body))
    scenes = min(max(3, int(allowed.group(1))), int(allowed.group(2))) if allowed else 3
    return json.dumps(
        {
            "title": "Why Bees Matter",
            "scenes": [
                {
                    "narration": f"Scene {i + 1}: bees carry pollen from flower to flower every single day.",
                    "visual": f"macro shot of a honeybee on a flower, shot {i + 1}, golden light",
                    "on_screen_text": f"Fact {i + 1}",
                    "seconds": 4.5,
                    "sources": [ids[i % len(ids)]] if ids else [],
                }
                for i in range(scenes)
            ],
        }
    )


def draft_answer() -> str:
    return json.dumps(
        {
            "title": "Why Bees Matter More Than You Think",
            "description": "Bees pollinate a third of the food we eat. Here is how.",
            "caption": "Bees feed the world.",
            "hashtags": ["bees", "#Pollination", "nature", "Bees"],
            "thumbnail_text": "Bees feed us",
        }
    )


def answer(body: dict[str, Any]) -> str:
    """The fake's default answer: a plan, a metadata draft or a plain reply, whichever is asked for."""
    name = schema_name(body)
    if name == "Plan":
        return plan_answer(body)
    if name == "Draft":
        return draft_answer()
    return "Bees pollinate flowers. They make honey. They matter."
