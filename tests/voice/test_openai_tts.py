"""The OpenAI TTS engine against a protocol fake on loopback; words timed by the forced aligner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelforge.errors import AuthError, ConfigError
from reelforge.voice.openai_tts import OpenAITTSEngine
from tests.fakes.openai_tts import FakeOpenAITTS, rate_limited

pytest.importorskip("openai")
KEY = "sk-test-0123456789"
TEXT = "Rivers carve canyons. Slowly, patiently, over millions of years. Then the flood came."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAITTS(KEY) as server:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_TTS_BASE_URL", f"{server.url}/v1")
        monkeypatch.delenv("WHISPER_MODEL_DIR", raising=False)
        yield server


def speak(tmp_path: Path, voice: str = "", rate: int = 165):
    return OpenAITTSEngine().synthesize(TEXT, tmp_path / "v.wav", voice=voice, language="en", rate=rate)


def test_speech_is_aligned_to_the_script(fake: FakeOpenAITTS, tmp_path: Path) -> None:
    speech = speak(tmp_path, rate=198)
    (request,) = fake.received("POST", "/v1/audio/speech")
    body = request.json
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert (body["model"], body["voice"], body["response_format"], body["input"]) == (
        "gpt-4o-mini-tts", "alloy", "wav", TEXT,
    )  # fmt: skip
    assert body["speed"] == pytest.approx(1.2)
    assert speech.sample_rate == 24000 and abs(speech.duration - fake.spoken.duration) < 0.002
    assert [w.text for w in speech.words] == [w.text for w in fake.spoken.words]
    errors = [abs(a.start - b.start) for a, b in zip(speech.words, fake.spoken.words, strict=True)]
    print(f"openai (pause aligner): mean {np.mean(errors) * 1000:.0f} ms, max {max(errors) * 1000:.0f} ms")
    assert np.mean(errors) < 0.080 and max(errors) < 0.200
    assert speech.words[-1].end <= speech.duration


def test_rate_limit_then_success(fake: FakeOpenAITTS, tmp_path: Path) -> None:
    fake.failures = [rate_limited(retry_after=0)]
    speech = speak(tmp_path)
    assert len(fake.received("POST", "/v1/audio/speech")) == 2
    assert len(speech.words) == len(TEXT.split())


def test_bad_key_is_an_auth_error_naming_the_setting(
    fake: FakeOpenAITTS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(AuthError, match="OPENAI_API_KEY") as caught:
        speak(tmp_path)
    assert "sk-wrong" not in str(caught.value)
    assert len(fake.requests) == 1


def test_unknown_voice_is_a_config_error(fake: FakeOpenAITTS, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rejected voice 'robot'.*Supported values"):
        speak(tmp_path, voice="robot")
    assert not (tmp_path / "v.wav").exists()
