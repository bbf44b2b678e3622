"""The soundtrack: voices on their frames, music ducked under the voice, loudness normalised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelforge.edit.audio import RATE, VoicePart, mix
from tests.conftest import audio_samples, integrated_loudness, lavfi, true_peak


def tone(path: Path, spec: str, seconds: float) -> Path:
    return lavfi(path, spec, seconds, "-ac", "1")


def band_rms_db(path: Path, low: int, high: int) -> np.ndarray:
    """RMS level (dBFS) per 100 ms of the band low-high Hz."""
    raw = audio_samples(path, f"highpass=f={low},highpass=f={low},lowpass=f={high},lowpass=f={high}")
    samples = np.frombuffer(raw, np.float32)
    blocks = samples[: len(samples) // 4800 * 4800].reshape(-1, 4800)
    return 20 * np.log10(np.sqrt((blocks**2).mean(axis=1)) + 1e-9)


def test_music_ducks_under_the_voice_and_the_mix_hits_minus_14(tmp_path):
    # "Voice": 2 s of a 300 Hz tone, then 2 s of silence (its scene is 4 s long). Music: a steady 2 kHz tone.
    voice = tone(tmp_path / "v.wav", "sine=f=300:r=22050", 2.0)
    music = tone(tmp_path / "m.wav", "sine=f=2000:r=48000", 1.5)  # shorter than the video: it loops
    stats = mix([VoicePart(voice, 4 * RATE)], music, 0.35, tmp_path)
    out = tmp_path / "audio.m4a"
    assert stats["samples"] == 4 * RATE
    level = band_rms_db(out, 1500, 2500)  # the music's band, 10 values per second
    under_voice, alone = level[5:18].mean(), level[25:38].mean()
    assert alone - under_voice > 6, (under_voice, alone)
    assert integrated_loudness(out) == pytest.approx(-14, abs=1)
    assert stats["output_lufs"] == pytest.approx(-14, abs=0.5)
    assert true_peak(out) <= -1.0


def test_voices_land_on_their_scene_starts(tmp_path):
    beep = tone(tmp_path / "b.wav", "sine=f=800:r=22050", 0.3)
    stats = mix([VoicePart(beep, RATE), VoicePart(beep, RATE // 2), VoicePart(beep, RATE)], None, 0, tmp_path)
    assert stats["samples"] == 2.5 * RATE
    level = band_rms_db(tmp_path / "audio.m4a", 600, 1000)
    loud = level > level.max() - 20
    onsets = [i for i in range(1, len(loud)) if loud[i] and not loud[i - 1]] + ([0] if loud[0] else [])
    assert sorted(onsets) == [0, 10, 15]  # 0 s, 1.0 s and 1.5 s, in 100 ms blocks
