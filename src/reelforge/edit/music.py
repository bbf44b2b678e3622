"""The built-in background track: a calm chord loop synthesized here, so it is royalty-free by construction.

The loop is periodic (note tails that run past the end wrap round to the start), so `-stream_loop` plays
it seamlessly for a video of any length.
"""

from __future__ import annotations

import functools
import wave
from pathlib import Path

import numpy as np

RATE = 48_000
BPM = 84
# I - vi - IV - V in C major, as MIDI note numbers (bass, then the chord).
_PROGRESSION = [(36, (60, 64, 67)), (45, (57, 60, 64)), (41, (57, 60, 65)), (43, (59, 62, 67))]
_ARPEGGIO = [0, 1, 2, 1, 2, 0, 1, 2]


def _hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add_wrapped(track: np.ndarray, start: int, note: np.ndarray) -> None:
    """Add `note` into `track` at `start`, wrapping what runs past the end to the beginning."""
    end = start + note.shape[0]
    n = track.shape[0]
    if end <= n:
        track[start:end] += note
        return
    track[start:] += note[: n - start]
    track[: end - n] += note[n - start :]


def _tone(freq: float, seconds: float, *, attack: float, decay: float, harmonics: int) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * freq * k * t + k) / k**1.6 for k in range(1, harmonics + 1))
    envelope = np.minimum(t / attack, 1.0) * np.exp(-t / decay)
    return tone * envelope


def synthesize(path: Path) -> Path:
    """Write the loop (stereo, 48 kHz, 16-bit, one pass of the progression: ~11.4 s) to `path`."""
    beat = 60.0 / BPM
    bar = 4 * beat
    samples = round(bar * len(_PROGRESSION) * RATE)
    left = np.zeros(samples)
    right = np.zeros(samples)
    # The progression repeats notes: each distinct note is synthesized once (a third of the work).
    _voice = functools.cache(_tone)
    for index, (bass, chord) in enumerate(_PROGRESSION):
        start = round(index * bar * RATE)
        pad = sum(
            _voice(_hz(m) * detune, bar * 1.6, attack=0.6, decay=3.0, harmonics=3)
            for m in chord
            for detune in (0.997, 1.003)
        )
        _add_wrapped(left, start, 0.09 * pad)
        _add_wrapped(right, start, 0.09 * np.roll(pad, 240))
        low = _voice(_hz(bass), bar * 1.2, attack=0.02, decay=1.2, harmonics=4)
        _add_wrapped(left, start, 0.35 * low)
        _add_wrapped(right, start, 0.35 * low)
        for step, which in enumerate(_ARPEGGIO):
            pluck = _voice(_hz(chord[which] + 12), beat * 2, attack=0.005, decay=0.35, harmonics=5)
            at = start + round(step * beat / 2 * RATE)
            pan = 0.3 + 0.4 * (step % 2)
            _add_wrapped(left, at, 0.12 * (1 - pan) * pluck)
            _add_wrapped(right, at, 0.12 * pan * pluck)
    stereo = np.stack([left, right], axis=1)
    stereo *= 0.89 / np.max(np.abs(stereo))  # peak at -1 dBFS
    pcm = (stereo * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path
