"""The LLM client against a real loopback server speaking the chat-completions protocol: structured output,
repair, refusal, retries, timeout, JSON-mode fallback, streaming, settings presets."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from reelforge.config import Settings
from reelforge.errors import AuthError, ConfigError, ModerationError, ProviderError, QuotaError
from reelforge.plan.llm import GROQ_URL, OPENAI_URL, LLMClient, available, endpoint
from tests.fakes.openai_compatible import Fail, FakeOpenAI, Reply

HELLO = [{"role": "user", "content": "Say hello."}]


class Answer(BaseModel):
    title: str
    count: int = Field(ge=1, le=5)


def test_presets_from_the_keys_users_already_have(no_llm, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    found = endpoint(Settings())
    assert (found.name, found.base_url, found.model) == ("openai", OPENAI_URL, "gpt-4.1-mini")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    found = endpoint(Settings())
    assert (found.name, found.base_url, found.key_setting) == ("groq", GROQ_URL, "GROQ_API_KEY")
    assert found.api_key.get_secret_value() == "gsk-test"
    monkeypatch.delenv("GROQ_API_KEY")
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0")
    assert endpoint(Settings()).base_url == "http://127.0.0.1:11434/v1"
    monkeypatch.setenv("LLM_MODEL", "qwen3:8b")
    monkeypatch.setenv("OLLAMA_HOST", "http://gpu-box:11500")
    assert endpoint(Settings()).model_dump(include={"base_url", "model"}) == {
        "base_url": "http://gpu-box:11500/v1",
        "model": "qwen3:8b",
    }
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # explicit LLM_* beats every preset
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    assert endpoint(Settings()).model_dump(include={"name", "base_url"}) == {
        "name": "custom",
        "base_url": "http://127.0.0.1:8080/v1",
    }
    monkeypatch.delenv("LLM_MODEL")
    with pytest.raises(ConfigError, match="LLM_BASE_URL is set but LLM_MODEL is not"):
        endpoint(Settings())


def test_no_llm_configured_names_the_settings(no_llm):
    assert endpoint(Settings()) is None
    with pytest.raises(ConfigError) as caught:
        LLMClient.from_settings()
    for name in ("LLM_BASE_URL", "LLM_MODEL", "OPENAI_API_KEY", "GROQ_API_KEY", "OLLAMA_HOST"):
        assert name in str(caught.value)


def test_structured_output_sends_a_strict_json_schema(fake):
    fake.then(Reply('{"title": "Hello", "count": 2}'))
    got = LLMClient.from_settings().ask(HELLO, Answer, what="answer")
    assert got == Answer(title="Hello", count=2)
    body = fake.chats[-1]
    assert body["model"] == "fake-small" and body["messages"] == HELLO
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "Answer"
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["title", "count"]
    assert schema["properties"]["count"] == {"type": "integer"}  # limits are checked by validation


def test_invalid_json_then_a_repaired_answer(fake):
    fake.then(
        Reply('{"title": "Hello", "count": '),
        Reply('{"title": "Hello", "count": 9}'),
        Reply('{"title": "Hi", "count": 3}'),
    )
    got = LLMClient.from_settings().ask(HELLO, Answer, what="answer")
    assert got == Answer(title="Hi", count=3)
    first_repair, second_repair = fake.chats[1]["messages"], fake.chats[2]["messages"]
    assert first_repair[-2] == {"role": "assistant", "content": '{"title": "Hello", "count": '}
    assert "Invalid JSON" in first_repair[-1]["content"]
    assert "count: Input should be less than or equal to 5" in second_repair[-1]["content"]


def test_gives_up_after_two_repairs_and_saves_the_raw_answer(fake, private_cache):
    fake.default = Reply("I cannot produce JSON today.")
    with pytest.raises(ProviderError) as caught:
        LLMClient.from_settings().ask(HELLO, Answer, what="answer")
    message = str(caught.value)
    assert len(fake.chats) == 3
    assert "no valid answer after 2 repairs" in message and "Invalid JSON" in message
    saved = re.search(r"saved in (\S+)$", message).group(1)
    assert Path(saved).read_text() == "I cannot produce JSON today."
    assert saved.startswith(str(private_cache))


def test_a_refusal_is_a_moderation_error(fake):
    fake.then(Reply(refusal="I can't help with that request."))
    with pytest.raises(ModerationError, match=r"refused: I can't help with that request\."):
        LLMClient.from_settings().ask(HELLO, Answer, what="answer")
    assert len(fake.chats) == 1  # a refusal is not retried or repaired


def test_429_with_retry_after_then_success(fake):
    fake.then(Fail(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", retry_after=1))
    fake.then(Reply("Hello!"))
    assert LLMClient.from_settings().complete(HELLO) == "Hello!"
    first, second = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    assert 0.95 <= second.at - first.at < 3  # waited as long as Retry-After said
    assert second.headers["x-stainless-retry-count"] == "1"


def test_429_that_persists_is_a_quota_error(fake, monkeypatch):
    monkeypatch.setenv("LLM_MAX_RETRIES", "1")
    fake.default = Fail(
        429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota", 0.1
    )
    with pytest.raises(QuotaError, match="You exceeded your current quota"):
        LLMClient.from_settings().complete(HELLO)
    assert len(fake.chats) == 2


def test_a_slow_answer_times_out_quickly_with_a_clear_error(fake, monkeypatch):
    monkeypatch.setenv("LLM_TIMEOUT", "0.5")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    fake.default = Reply("late", delay=10)
    client = LLMClient.from_settings()
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"did not answer within 0.5 s \(raise LLM_TIMEOUT"):
        client.complete(HELLO)
    assert time.monotonic() - started < 2.5


def test_json_schema_rejected_falls_back_to_json_mode_and_remembers(no_llm, monkeypatch):
    with FakeOpenAI(json_schema=False, default=Reply('{"title": "Hi", "count": 1}')) as server:
        monkeypatch.setenv("LLM_BASE_URL", server.url)
        monkeypatch.setenv("LLM_MODEL", "fake-small")
        client = LLMClient.from_settings()
        assert client.ask(HELLO, Answer, what="answer").count == 1
        assert client.ask(HELLO, Answer, what="answer").title == "Hi"
        kinds = [b["response_format"]["type"] for b in server.chats]
        assert kinds == ["json_schema", "json_object", "json_object"]  # the 400 was remembered
        system = server.chats[1]["messages"][0]
        assert system["role"] == "system" and "JSON schema" in system["content"]
        assert json.loads(system["content"].split("\n", 1)[1])["required"] == ["title", "count"]


def test_an_endpoint_without_json_modes_gets_the_schema_in_the_prompt(no_llm, monkeypatch):
    with FakeOpenAI(
        json_schema=False, json_object=False, default=Reply('```json\n{"title": "Hi", "count": 2}\n```')
    ) as server:
        monkeypatch.setenv("LLM_BASE_URL", server.url)
        monkeypatch.setenv("LLM_MODEL", "fake-small")
        client = LLMClient.from_settings()
        assert client.ask(HELLO, Answer, what="answer") == Answer(title="Hi", count=2)  # the fence is removed
        assert client.ask(HELLO, Answer, what="answer").count == 2
        kinds = [(b.get("response_format") or {}).get("type") for b in server.chats]
        assert kinds == ["json_schema", "json_object", None, None]
        assert "JSON schema" in server.chats[2]["messages"][0]["content"]


def test_a_refused_key_names_the_setting_and_not_the_key(no_llm, monkeypatch):
    with FakeOpenAI(api_key="right-key") as server:
        monkeypatch.setenv("LLM_BASE_URL", server.url)
        monkeypatch.setenv("LLM_MODEL", "fake-small")
        monkeypatch.setenv("LLM_API_KEY", "wrong-key-123")
        with pytest.raises(AuthError) as caught:
            LLMClient.from_settings().complete(HELLO)
        assert "HTTP 401" in str(caught.value) and "LLM_API_KEY" in str(caught.value)
        assert "wrong-key-123" not in str(caught.value)
        monkeypatch.setenv("LLM_API_KEY", "right-key")
        assert LLMClient.from_settings().complete(HELLO) == "Hello."
        assert server.requests[-1].headers["authorization"] == "Bearer right-key"


def test_a_password_in_the_base_url_stays_out_of_messages(no_llm, monkeypatch):
    with FakeOpenAI() as server:
        url = server.url
    monkeypatch.setenv("LLM_BASE_URL", url.replace("http://", "http://me:hunter2@"))
    monkeypatch.setenv("LLM_MODEL", "fake-small")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    assert available() == (True, f"custom: fake-small at {url}")
    with pytest.raises(ProviderError, match=rf"cannot reach LLM 'fake-small' \(custom, {re.escape(url)}\)"):
        LLMClient.from_settings().complete(HELLO)


def test_an_unknown_model_says_to_set_llm_model(fake, monkeypatch):
    monkeypatch.setenv("LLM_MODEL", "gpt-17")
    with pytest.raises(ConfigError, match=r"'gpt-17'.*not found.*set LLM_MODEL"):
        LLMClient.from_settings().complete(HELLO)


def test_streaming_yields_the_answer_piece_by_piece(fake):
    fake.then(Reply("Rivers carve canyons over millions of years."))
    pieces = list(LLMClient.from_settings().stream(HELLO))
    assert len(pieces) == 7 and "".join(pieces) == "Rivers carve canyons over millions of years."
    assert fake.chats[-1]["stream"] is True


def test_models_lists_what_the_endpoint_serves(fake):
    assert LLMClient.from_settings().models() == ["fake-large", "fake-small"]


def test_doctor_says_which_llm_is_used(no_llm, monkeypatch):
    from reelforge.doctor import _llm

    (check,) = _llm()
    assert not check.ok and check.detail.startswith("no LLM configured: set LLM_BASE_URL + LLM_MODEL")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-secret-value")
    (check,) = _llm()
    assert check.ok and check.detail == f"groq: openai/gpt-oss-120b at {GROQ_URL}"
    assert "gsk-secret-value" not in check.detail
