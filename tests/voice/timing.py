"""Measuring word timings against the audio: the error at every clause pause and at the speech's ends."""

from __future__ import annotations

from reelforge.voice.base import Speech
from tests.voice.test_espeak import read_wav, silent_intervals, sounding_bounds

CLAUSE_PAUSE_S = 0.150
"""Silences at least this long are pauses between words; shorter ones can be a stop consonant's closure."""


def pause_errors(speech: Speech) -> list[float]:
    """|word time - silence edge| (s) at the speech's two ends and at both edges of every clause pause."""
    samples, rate, _ = read_wav(speech.wav)
    first, last = sounding_bounds(samples, rate)
    words = speech.words
    errors = [abs(words[0].start - first), abs(words[-1].end - last)]
    for gap_start, gap_end in silent_intervals(samples, rate, min_gap_s=CLAUSE_PAUSE_S):
        if gap_start <= first or gap_end >= last:
            continue
        after = next(i for i, word in enumerate(words) if word.end > gap_end)
        errors += [abs(words[after].start - gap_end), abs(words[after - 1].end - gap_start)]
    return errors
