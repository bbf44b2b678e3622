"""The ElevenLabs engine against a protocol fake on loopback that speaks real audio (see tests/fakes)."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest

from reelforge.errors import AuthError, ConfigError, ProviderError
from reelforge.voice.elevenlabs import ElevenLabsEngine
from tests.fakes.elevenlabs import RACHEL, FakeElevenLabs, rate_limited
from tests.fakes.loopback import json_answer
from tests.voice.test_espeak import PANGRAM, PANGRAM_STARTS_MS
from tests.voice.timing import pause_errors

pytest.importorskip("elevenlabs")
KEY = "sk_test_0123456789"
TEXT = "Rivers carve canyons. Slowly, patiently, over millions of years. Then the flood came."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    with FakeElevenLabs(KEY) as server:
        monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
        monkeypatch.setenv("ELEVENLABS_BASE_URL", server.url)
        yield server


def speak(tmp_path: Path, text: str = PANGRAM, voice: str = ""):
    return ElevenLabsEngine().synthesize(text, tmp_path / "v.wav", voice=voice, language="en", rate=165)


def test_character_alignment_becomes_word_timings(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = speak(tmp_path)
    (request,) = fake.received("POST", f"/v1/text-to-speech/{RACHEL}/with-timestamps")
    assert request.headers["xi-api-key"] == KEY and request.query["output_format"] == "mp3_44100_128"
    assert request.json["text"] == PANGRAM and request.json["model_id"] == "eleven_multilingual_v2"
    assert speech.sample_rate == 44100 and 2.6 < speech.duration < 3.0  # the MP3 decoded to a WAV
    assert [w.text for w in speech.words] == PANGRAM.split()
    starts_ms = [w.start * 1000 for w in speech.words]
    print(
        "elevenlabs word starts vs espeak's (ms):",
        [round(a - b) for a, b in zip(starts_ms, PANGRAM_STARTS_MS, strict=True)],
    )
    assert max(abs(a - b) for a, b in zip(starts_ms[1:], PANGRAM_STARTS_MS[1:], strict=True)) <= 30


def test_word_timings_match_the_audio_pauses(fake: FakeElevenLabs, tmp_path: Path) -> None:
    speech = speak(tmp_path, TEXT)
    assert all(a.start < a.end <= b.start < b.end for a, b in itertools.pairwise(speech.words))
    errors = pause_errors(speech)
    assert len(errors) >= 2 + 2 * 4
    print(
        f"elevenlabs: max word/pause boundary error {max(errors) * 1000:.0f} ms over {len(errors)} boundaries"
    )
    assert max(errors) < 0.080


def test_rate_limit_then_success(fake: FakeElevenLabs, tmp_path: Path) -> None:
    fake.failures = [rate_limited(retry_after=0)]
    speech = speak(tmp_path)
    assert len(fake.received("POST", "/v1/text-to-speech/")) == 2
    assert len(speech.words) == 9


def test_bad_key_is_an_auth_error_naming_the_setting(
    fake: FakeElevenLabs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_wrong")
    with pytest.raises(AuthError, match="ELEVENLABS_API_KEY") as caught:
        speak(tmp_path)
    assert "sk_wrong" not in str(caught.value)
    assert len(fake.requests) == 1  # 401 is not retried
    assert not (tmp_path / "v.wav").exists()


def test_unknown_voice_is_a_config_error(fake: FakeElevenLabs, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="elevenlabs has no voice 'nobody'"):
        speak(tmp_path, voice="nobody")


def test_without_a_key_it_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    assert ElevenLabsEngine().available() == (False, "set ELEVENLABS_API_KEY")
    with pytest.raises(AuthError, match="set ELEVENLABS_API_KEY"):
        speak(tmp_path)


def test_an_answer_that_is_not_audio_is_a_provider_error(fake: FakeElevenLabs, tmp_path: Path) -> None:
    alignment = {"characters": ["H", "i", "."], "character_start_times_seconds": [0, 0.1, 0.2]}
    alignment["character_end_times_seconds"] = [0.1, 0.2, 0.3]
    body = {"audio_base64": base64.b64encode(b"<html>oops</html>").decode(), "alignment": alignment}
    fake.failures = [json_answer(200, body)]
    with pytest.raises(ProviderError, match="elevenlabs audio: the answer is not playable audio"):
        speak(tmp_path, "Hi.")
    assert not list(tmp_path.iterdir())  # no WAV, no temporary file left behind
