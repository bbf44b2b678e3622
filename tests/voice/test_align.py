"""The forced-alignment fallback: script words, pause alignment measured against espeak's own word times."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from reelforge.errors import ConfigError, InputError
from reelforge.voice import align
from reelforge.voice.espeak import EspeakEngine
from reelforge.voice.wavfile import write_wav
from tests.voice.test_espeak import read_wav, sounding_bounds

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Rivers carve canyons. Slowly, patiently, over millions of years. Then the flood came.",
    "First, we gather the data; next, we clean it. Finally: we ship, and celebrate!",
    "Good morning, everyone. Today, quite simply, we build a tiny video studio.",
    "Every river starts as a single drop of rain on a mountain. Drop by drop, the water carves a path "
    "through stone, and over time the valley grows wider than anyone could imagine.",
]


def test_script_words_are_the_espeak_engines_words(tmp_path: Path) -> None:
    text = "Hello, world! Don't stop—it's \"fine\" (really)... e.g. 3.5 km; U.S.A. rock'n'roll - yes\n- no"
    speech = EspeakEngine().synthesize(text, tmp_path / "a.wav", voice="en", language="", rate=175)
    assert align.script_words(text) == [w.text for w in speech.words]
    with pytest.raises(InputError, match="no words"):
        align.script_words(" ... - ")


def test_pause_alignment_error_against_espeak_word_times(tmp_path: Path) -> None:
    """espeak-ng knows when each word starts (its WORD events): the fallback is measured against that."""
    errors: list[float] = []
    for index, text in enumerate(TEXTS):
        truth = EspeakEngine().synthesize(text, tmp_path / f"{index}.wav", voice="en", language="", rate=175)
        words = align.align(truth.wav, align.script_words(text), "en")
        assert [w.text for w in words] == [w.text for w in truth.words]
        assert all(a.start < a.end <= b.start < b.end for a, b in itertools.pairwise(words))
        samples, rate, _ = read_wav(truth.wav)
        first, last = sounding_bounds(samples, rate)
        assert abs(words[0].start - first) < 0.025 and abs(words[-1].end - last) < 0.025  # 10 ms windows
        errors += [abs(a.start - b.start) for a, b in zip(words, truth.words, strict=True)]
    mean, worst = float(np.mean(errors)), max(errors)
    print(
        f"pause aligner vs espeak word starts: mean {mean * 1000:.0f} ms, max {worst * 1000:.0f} ms "
        f"over {len(errors)} words"
    )
    assert mean < 0.060 and worst < 0.200  # measured: mean 47 ms, max 177 ms over 81 words


def test_silent_audio_is_an_input_error(tmp_path: Path) -> None:
    wav = tmp_path / "silence.wav"
    write_wav(wav, np.zeros(22050, dtype=np.int16), 22050)
    with pytest.raises(InputError, match="silent"):
        align.align(wav, ["hello"], "en")


def test_whisper_dir_without_a_model_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WHISPER_MODEL_DIR", str(tmp_path / "nowhere"))
    speech = EspeakEngine().synthesize("Hello there.", tmp_path / "a.wav", voice="en", language="", rate=175)
    with pytest.raises(ConfigError, match=r"WHISPER_MODEL_DIR=.*model\.bin missing"):
        align.align(speech.wav, ["Hello", "there."], "en")


def test_recognised_words_are_matched_back_to_the_script() -> None:
    """The pairing used for faster-whisper and edge-tts: captions keep the script's spelling even where the
    recogniser misheard ("cannons"), changed a word ("carved") or heard one more ("the")."""
    script = ["Rivers", "carve", "3.5", "canyons,", "out", "of", "rock."]
    heard = ["rivers", "carved", "3.5", "cannons", "out", "of", "the", "rock"]
    units = [align.Unit(t, i * 0.5, i * 0.5 + 0.4, len(t)) for i, t in enumerate(heard)]
    words = align.words_from_units(script, units, align.spelling_cost(script, units), 6, 6)
    assert [w.text for w in words] == script
    spans = {w.text: (w.start, w.end) for w in words}
    assert spans["carve"] == (0.5, 0.9)
    assert spans["3.5"] == (1.0, 1.4)
    assert spans["canyons,"] == (1.5, 1.9)
    assert spans["out"] == (2.0, 2.4)
    assert spans["rock."][1] == 3.9
