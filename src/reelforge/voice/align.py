"""Word timings for engines that give none, or give them per phoneme or per character.

Captions show the script's own words, never a recogniser's: a Word is one whitespace-separated token of
the narration as written (punctuation-only tokens such as "-" join the word before them, or the word
after them when they open a line), the same rule as the espeak engine.

Whatever an engine or aligner measures comes as timed *units* (a phoneme word, a recognised word, a run
of sound between pauses). `words_from_units` groups script words and units in order (one dynamic
programme; a group is 1..k words against 1..k units, so "out of" spoken as one phoneme word, or "3.5"
spoken as three, still line up) and spreads each group's words over its time by their letters.

`align` is the fallback for engines without timings:

* with `WHISPER_MODEL_DIR` set: faster-whisper word timestamps from that local model (never fetched),
  matched back to the script's words by spelling;
* without it: pauses in the audio. Runs of sound between silences of >= 100 ms are matched to the
  script (a pause belongs after a comma or full stop), then words share a run by their letters. Exact
  at pauses, approximate inside a clause (measured against espeak-ng's own word times: see
  docs/voices.md).

In every case the first word starts where the sound starts and the last ends where it ends, so captions
never drift past the speech.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np

from reelforge.config import settings
from reelforge.errors import ConfigError, InputError
from reelforge.voice.base import Word, file_stamp
from reelforge.voice.wavfile import read_wav

log = logging.getLogger(__name__)
_whisper_lock = threading.Lock()

_SPOKEN_PUNCTUATION = frozenset("%‰#&@*")
_CLAUSE_END = re.compile(r"[,;:.!?…。、，！？؟،]['\"’”»)\]]*$")
WINDOW_S = 0.010
SILENCE_DB = -40.0
"""A 10 ms window is silent when its RMS is this far under the loudest window."""
MIN_PAUSE_S = 0.100
"""A pause shorter than this is a stop consonant's closure, not a break between words."""
MAX_RUNS_PER_GROUP = 4
"""The most runs of sound one group of words may span (a pause the script gives no reason for)."""


@dataclass(frozen=True)
class Unit:
    """Something timed in the audio: a phoneme word, a recognised word or a run of sound (seconds)."""

    text: str
    start: float
    end: float
    weight: float
    """How long it should take relative to its siblings: phonemes, letters or seconds."""
    pause_after: bool = False
    """Followed by a pause (punctuation in the phonemes, or silence)."""


# -- the script's words ------------------------------------------------------------------------------


def letters(token: str) -> int:
    """How many of the token's characters are spoken (not punctuation)."""
    return sum(not (unicodedata.category(c).startswith("P") and c not in _SPOKEN_PUNCTUATION) for c in token)


def script_word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of each of the narration's words as captions show them (module docstring)."""
    spans: list[tuple[int, int]] = []
    pending: int | None = None  # start of punctuation waiting for the word after it
    previous_end = 0
    for match in re.finditer(r"\S+", text):
        opens_line = not spans or "\n" in text[previous_end : match.start()]
        previous_end = match.end()
        if letters(match.group()):
            spans.append((match.start() if pending is None else pending, match.end()))
            pending = None
        elif pending is None and opens_line:
            pending = match.start()
        elif pending is None:
            spans[-1] = (spans[-1][0], match.end())
    if pending is not None and spans:
        spans[-1] = (spans[-1][0], len(text.rstrip()))
    if not spans:
        raise InputError("nothing to speak: the narration has no words")
    return spans


def script_words(text: str) -> list[str]:
    """The narration's words as captions show them."""
    return [text[a:b] for a, b in script_word_spans(text)]


def ends_clause(word: str) -> bool:
    """Whether a pause is natural after this word (comma, full stop, question mark ...)."""
    return bool(_CLAUSE_END.search(word))


# -- words <-> units ---------------------------------------------------------------------------------

GroupCost = Callable[[int, int, int, int], float]
"""cost(first word, end word, first unit, end unit) of making words[a:b] one group with units[c:d]."""


def best_groups(
    n_words: int, n_units: int, cost: GroupCost, max_words: int, max_units: int
) -> list[tuple[int, int, int, int]] | None:
    """The cheapest monotonic split of both sequences into paired groups; None when none exists."""
    best = np.full((n_words + 1, n_units + 1), math.inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0, 0] = 0.0
    for b in range(1, n_words + 1):
        for d in range(1, n_units + 1):
            for a in range(max(0, b - max_words), b):
                for c in range(max(0, d - max_units), d):
                    if best[a, c] == math.inf:
                        continue
                    total = best[a, c] + cost(a, b, c, d)
                    if total < best[b, d]:
                        best[b, d] = total
                        back[b, d] = (a, c)
    if best[n_words, n_units] == math.inf:
        return None
    groups = []
    b, d = n_words, n_units
    while (b, d) != (0, 0):
        a, c = back[b, d]
        groups.append((a, b, c, d))
        b, d = a, c
    return groups[::-1]


def _spread(words: list[str], start: float, end: float) -> list[Word]:
    """Words sharing [start, end), each given time in proportion to its letters."""
    weights = np.array([letters(w) for w in words], dtype=float)
    edges = start + (end - start) * np.concatenate(([0.0], np.cumsum(weights) / weights.sum()))
    return [
        Word(text=w, start=float(a), end=float(b)) for w, a, b in zip(words, edges, edges[1:], strict=False)
    ]


def words_from_units(
    words: list[str], units: list[Unit], cost: GroupCost, max_words: int = 3, max_units: int = 3
) -> list[Word] | None:
    """Pair words with units (see the module docstring); None when they cannot be paired."""
    groups = best_groups(len(words), len(units), cost, max_words, max_units)
    if groups is None:
        return None
    out: list[Word] = []
    for a, b, c, d in groups:
        out += _spread(words[a:b], units[c].start, units[d - 1].end)
    return out


def weight_cost(words: list[str], units: list[Unit], *, per_word: float, per_unit: float) -> GroupCost:
    """Cost of a group whose words' letters and units' weights disagree, or whose pauses disagree;
    each word and unit beyond the first in a group costs `per_word` and `per_unit`."""
    said = np.concatenate(([0.0], np.cumsum([letters(w) for w in words], dtype=float)))
    heard = np.concatenate(([0.0], np.cumsum([u.weight for u in units], dtype=float)))
    ratio = heard[-1] / said[-1]
    clause = [ends_clause(w) for w in words]

    def cost(a: int, b: int, c: int, d: int) -> float:
        expected = (said[b] - said[a]) * ratio
        mismatch = math.log((heard[d] - heard[c] + ratio) / (expected + ratio)) ** 2
        pauses = b < len(words) and clause[b - 1] != units[d - 1].pause_after
        return mismatch + per_word * (b - a - 1) + per_unit * (d - c - 1) + float(pauses)

    return cost


def tidy(words: list[Word], first: float, last: float) -> list[Word]:
    """The words in order inside [first, last], none overlapping or empty; the first starts at `first`
    (where the sound starts) and the last ends at `last` (where it ends), so captions never drift."""
    count = len(words)
    step = min(0.02, (last - first) / (2 * count))  # the shortest a word may be
    starts = [first]
    for i, word in enumerate(words[1:], 1):
        starts.append(min(max(word.start, starts[-1] + step), last - (count - i) * step))
    ends = [min(max(w.end, s + step), n) for w, s, n in zip(words, starts, starts[1:], strict=False)]
    return [Word(text=w.text, start=s, end=e) for w, s, e in zip(words, starts, [*ends, last], strict=True)]


def snap_to_pauses(words: list[Word], runs: list[tuple[float, float]], reach: float = 0.25) -> list[Word]:
    """Move the word boundary nearest each pause (within `reach` s) onto the silence's edges: the word
    before ends where the sound stops, the word after starts where it resumes (not at e.g. the silent
    closure of its first "k"). Then `tidy` between the first and last sound."""
    words = list(words)
    for (_, pause_start), (pause_end, _) in itertools.pairwise(runs):
        distance, k = min(
            (
                (abs(words[k].end - pause_start) + abs(words[k + 1].start - pause_end), k)
                for k in range(len(words) - 1)
            ),
            default=(math.inf, 0),
        )
        if distance < 2 * reach and words[k].start < pause_start and words[k + 1].end > pause_end:
            words[k] = Word(text=words[k].text, start=words[k].start, end=pause_start)
            words[k + 1] = Word(text=words[k + 1].text, start=pause_end, end=words[k + 1].end)
    return tidy(words, runs[0][0], runs[-1][1])


def fit_to_audio(words: list[Word], wav: Path) -> list[Word]:
    """Engine or aligner timings made exact at the audio's pauses and ends (`snap_to_pauses`)."""
    samples, rate = read_wav(wav)
    runs = sounding_runs(samples, rate)
    return snap_to_pauses(words, runs) if runs else tidy(words, 0.0, len(samples) / rate)


# -- the audio ----------------------------------------------------------------------------------------


def sounding_runs(
    samples: np.ndarray, rate: int, min_pause_s: float = MIN_PAUSE_S
) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of sound between pauses of at least `min_pause_s`."""
    hop = max(1, int(rate * WINDOW_S))
    count = len(samples) // hop
    if count == 0:
        return []
    rms = np.sqrt((samples[: count * hop].reshape(count, hop) ** 2).mean(axis=1))
    if rms.max() <= 0:
        return []
    loud = rms > rms.max() * 10 ** (SILENCE_DB / 20)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], loud.astype(np.int8), [0]))))
    runs = [[a * WINDOW_S, b * WINDOW_S] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged = [runs[0]]
    for start, end in runs[1:]:
        if start - merged[-1][1] < min_pause_s:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def align_by_pauses(wav: Path, words: list[str]) -> list[Word]:
    """Words timed from the pauses in the audio alone (no model): see the module docstring."""
    samples, rate = read_wav(wav)
    runs = sounding_runs(samples, rate)
    if not runs:
        raise InputError(f"{wav.name}: the narration audio is silent: the voice engine produced no speech")
    units = [Unit("", a, b, b - a, pause_after=True) for a, b in runs]
    cost = weight_cost(words, units, per_word=0.0, per_unit=1.0)
    found = words_from_units(words, units, cost, max_words=len(words), max_units=MAX_RUNS_PER_GROUP)
    if found is None:  # more runs than words can explain (clicks, noise): one group over all of it
        found = _spread(words, runs[0][0], runs[-1][1])
    return tidy(found, runs[0][0], runs[-1][1])


# -- faster-whisper -----------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def spelling_cost(words: list[str], heard: list[Unit]) -> GroupCost:
    """Cost of pairing script words with recognised or engine-reported words that are spelt differently."""

    def cost(a: int, b: int, c: int, d: int) -> float:
        said = _normalised("".join(words[a:b]))
        recognised = _normalised("".join(u.text for u in heard[c:d]))
        return 1 - SequenceMatcher(None, said, recognised).ratio() + 0.1 * (b - a + d - c - 2)

    return cost


def whisper_model_dir() -> Path | None:
    """WHISPER_MODEL_DIR, checked: ConfigError when it is set but holds no CTranslate2 Whisper model."""
    folder = settings().whisper_model_dir
    if folder is None:
        return None
    if not (folder / "model.bin").is_file():
        raise ConfigError(
            f"WHISPER_MODEL_DIR={folder} holds no faster-whisper model (model.bin missing): "
            "put a CTranslate2 Whisper model there (e.g. Systran/faster-whisper-small) or unset it"
        )
    return folder


@functools.lru_cache(maxsize=1)
def _whisper(model_dir: Path) -> Any:
    """The faster-whisper model in `model_dir`, loaded once per process (CPU, int8)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ConfigError(
            "WHISPER_MODEL_DIR is set but faster-whisper is missing: pip install faster-whisper"
        ) from exc
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", local_files_only=True)


def align_with_whisper(wav: Path, words: list[str], model_dir: Path, language: str) -> list[Word]:
    """Words timed by faster-whisper's word timestamps, matched to the script by spelling."""
    with _whisper_lock:
        model = _whisper(model_dir)
    # temperature 0: greedy decoding only. Its fallback to sampling crashed ctranslate2 4.8 here (SIGSEGV,
    # faster-whisper issue #223), and the script as the prompt makes greedy decoding the right choice anyway.
    segments, _ = model.transcribe(
        str(wav),
        language=language.split("-")[0] or None,
        word_timestamps=True,
        initial_prompt=" ".join(words),
        temperature=0.0,
    )
    heard = [
        Unit(w.word.strip(), w.start, w.end, len(w.word.strip())) for s in segments for w in s.words or []
    ]
    if heard:
        found = words_from_units(words, heard, spelling_cost(words, heard), max_words=6, max_units=6)
        if found is not None:
            return fit_to_audio(found, wav)
    log.warning(
        "faster-whisper heard too little of %s to match the script: timing it by its pauses", wav.name
    )
    return align_by_pauses(wav, words)


def fingerprint() -> dict[str, Any]:
    """What decides `align`'s timings: the whisper model when one is set, else the pause rule."""
    model_dir = whisper_model_dir()
    if model_dir is None:
        return {"aligner": "pauses"}
    return {"aligner": "whisper", "whisper": file_stamp(model_dir / "model.bin")}


def align(wav: Path, words: list[str], language: str) -> list[Word]:
    """The script's words timed in `wav`: by faster-whisper when WHISPER_MODEL_DIR is set, else by pauses."""
    model_dir = whisper_model_dir()
    if model_dir is not None:
        return align_with_whisper(wav, words, model_dir, language)
    return align_by_pauses(wav, words)
