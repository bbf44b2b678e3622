"""The espeak-ng engine: libespeak-ng through ctypes, with word timings from its own events.

espeak-ng runs in synchronous mode with phoneme events on. Each synth callback brings a block
of PCM (mono int16) and the events inside it: WORD (1-based character position in the text,
time in ms) and PHONEME (name, time in ms). Pause phonemes are named `_`, `_:`, `_!`, ...

A Word is one whitespace-separated token of the input, exactly as written, punctuation included
("dog.", "Hello,": captions show it and break phrases at sentence ends). Punctuation-only tokens
("-", "—", "...") are not words of their own: they join the word before them, or the word after
them when they open a line or the text. So the words, in order, cover every non-space character.

How a word's times are derived:

* start: the time of the WORD event that points into it; but for the first word and a word
  after a pause, the time of its first sounding phoneme, since espeak puts such a WORD event
  at the pause's end, before e.g. the silent closure of a stop consonant ("patiently": 49 ms);
* end: the start of the run of pause phonemes that closes it (a comma or full stop pause),
  else the next word's start; the last word ends at the final pause or the end of the audio.

Only the events' positions are used, not their `length`: on espeak-ng 1.51 `length` excludes
punctuation, cuts "Don't" to "Don" and is 0 for some words. Several events in one token ("3.5"
gives three) make one word; an event on a punctuation-only token (espeak puts the word after a
spaced " - " on the hyphen) belongs to the next token. Tokens espeak speaks as one word ("out
of") share its time in proportion to their letters, each cut moved to the nearest phoneme onset.

libespeak-ng is process-global and not thread-safe: it is initialised once, lazily, and every
synth runs under one lock, in a child forked from that pristine state (libespeak-ng carries
state from one synthesis to the next), setting voice and rate afresh. So the same input always
gives the same WAV, byte-identical to `espeak-ng -w` (POSIX only: it needs os.fork).
"""

from __future__ import annotations

import bisect
import ctypes
import ctypes.util
import os
import pickle
import re
import tempfile
import threading
import unicodedata
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from reelforge.errors import ConfigError, InputError, RenderError
from reelforge.voice.base import Speech, Word, register_engine

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000  # without it a missing espeak-ng-data calls exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # the sentence pause at the end, as the espeak-ng CLI writes it
_PARAM_RATE = 1
_RATE_RANGE = (80, 450)  # espeakRATE_MINIMUM, espeakRATE_MAXIMUM

_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7

_NON_PAUSE_UNDERSCORE = "_^_"  # the "switch language" phoneme: not silence
_SPOKEN_PUNCTUATION = frozenset("%‰#&@*")  # punctuation espeak reads out ("&" -> "and")

_INSTALL_HINT = "install espeak-ng: apt-get install espeak-ng"


class _EventId(ctypes.Union):
    _fields_ = (("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8))


class _Event(ctypes.Structure):
    """espeak_EVENT from speak_lib.h (40 bytes on x86_64)."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


class _Voice(ctypes.Structure):
    """espeak_VOICE from speak_lib.h; `languages` is a list of (priority byte, NUL-ended name)."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


_EventRecord = tuple[int, int, int, str]  # (event type, 1-based text position, ms, phoneme name)
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _Capture:
    """What the callbacks of one synth produce: PCM bytes and (type, position, ms, phoneme) events."""

    pcm: bytearray = field(default_factory=bytearray)
    events: list[_EventRecord] = field(default_factory=list)


class _Library:
    """The initialised libespeak-ng: one per process, used only under `lock`, never synthesizing."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        self.lib = ctypes.CDLL(path)
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        self.sample_rate: int = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
        if self.sample_rate <= 0:
            raise OSError("espeak_Initialize failed (espeak-ng-data missing?)")
        self.version = (self.lib.espeak_Info(None) or b"?").decode()
        self.lock = threading.Lock()
        self._capture = _Capture()
        self._callback = _SynthCallback(self._on_synth)  # kept referenced: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._capture.pcm += ctypes.string_at(wav, count * 2)
        i = 0
        while (event := events[i]).type != _EVENT_LIST_TERMINATED:
            if event.type in (_EVENT_WORD, _EVENT_PHONEME):
                name = event.id.string.decode("utf-8", "replace") if event.type == _EVENT_PHONEME else ""
                self._capture.events.append((event.type, event.text_position, event.audio_position, name))
            i += 1
        return 0

    def voices(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """Every voice's identifier with its (priority, language) list."""
        table = self.lib.espeak_ListVoices(None)
        out = []
        i = 0
        while table[i]:
            voice = table[i].contents
            out.append((voice.identifier.decode(), _languages(voice.languages)))
            i += 1
        return out

    def set_voice(self, name: str) -> None:
        """Select a voice by name, identifier or language code (e.g. "en-gb", "gmw/en", "ar")."""
        if self.lib.espeak_SetVoiceByName(name.encode()) == 0:
            return
        identifier = _voice_for_language(self.voices(), name.lower())
        if identifier is None or self.lib.espeak_SetVoiceByName(identifier.encode()) != 0:
            raise ConfigError(
                f"unknown espeak voice {name!r}: list voices with `espeak-ng --voices` (use a language code)"
            )

    def synthesize(self, text: str, voice: str, rate: int) -> _Capture:
        """Speak `text` in a forked child, so every call starts from the freshly initialised state.

        In-process, output depends on what was spoken before: libespeak-ng keeps e.g. a static
        pitch-flutter phase (word times drift by up to 11 ms), and after one Spanish sentence an
        English final "d" gains 49 ms of silence. The parent itself never synthesizes.
        """
        with self.lock:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: never returns
                os.close(read_fd)
                self._serve_child(write_fd, text, voice, rate)
            os.close(write_fd)
            with os.fdopen(read_fd, "rb") as pipe:
                payload = pipe.read()
            _, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            raise RenderError(
                f"espeak-ng died while speaking ({os.waitstatus_to_exitcode(status)}): {text[:40]!r}"
            )
        result = pickle.loads(payload)
        if isinstance(result, ConfigError):
            raise result
        return result

    def _serve_child(self, write_fd: int, text: str, voice: str, rate: int) -> NoReturn:
        """In the forked child: synthesize, pickle the capture (or the ConfigError) up the pipe, exit."""
        code = 1
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                try:
                    result: _Capture | ConfigError = self._synth_here(text, voice, rate)
                except ConfigError as exc:
                    result = exc
                pickle.dump(result, pipe)
            code = 0
        finally:
            os._exit(code)  # skip the parent's atexit handlers and buffered output

    def _synth_here(self, text: str, voice: str, rate: int) -> _Capture:
        self.set_voice(voice)
        self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        self._capture = _Capture()
        data = text.encode() + b"\0"
        flags = _CHARS_UTF8 | _ENDPAUSE
        status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
        if status != 0:
            raise ConfigError(f"espeak_Synth failed with status {status}: reinstall espeak-ng")
        return self._capture


def _languages(address: int) -> list[tuple[int, str]]:
    """Decode espeak_VOICE.languages: (priority byte, NUL-terminated name)..., then a zero byte."""
    out = []
    while priority := ctypes.string_at(address, 1)[0]:
        name = ctypes.string_at(address + 1)
        out.append((priority, name.decode()))
        address += len(name) + 2
    return out


def _voice_for_language(voices: list[tuple[str, list[tuple[int, str]]]], language: str) -> str | None:
    """The identifier of the voice that lists `language` with the best (lowest) priority."""
    ranked = [(priority, ident) for ident, langs in voices for priority, lang in langs if lang == language]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


_library: _Library | None = None
_library_lock = threading.Lock()


def _get_library() -> _Library:
    """The process-wide library, initialised on first use; ConfigError if it cannot load."""
    global _library
    with _library_lock:
        if _library is None:
            try:
                _library = _Library()
            except OSError as exc:
                raise ConfigError(f"espeak-ng library unusable ({exc}): {_INSTALL_HINT}") from exc
        return _library


def list_voices() -> list[tuple[str, str]]:
    """(identifier, primary language) of every installed voice, e.g. ("gmw/en-US", "en-us").

    Both parts are accepted as `voice` by `EspeakEngine.synthesize`.
    """
    library = _get_library()
    with library.lock:
        voices = library.voices()
    return [(ident, langs[0][1] if langs else "") for ident, langs in voices]


# -- word timing -------------------------------------------------------------------------------


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P") and char not in _SPOKEN_PUNCTUATION


def _letters(token: str) -> int:
    """How many of the token's characters are spoken (not punctuation): its weight in a split."""
    return sum(not _is_punctuation(char) for char in token)


@dataclass
class _Segment:
    """What one run of WORD events says (times in ms): the first token it speaks, its WORD event,
    the onsets of its sounding phonemes and where the pause run that closes it began."""

    token: int
    start: int
    onsets: list[int] = field(default_factory=list)
    pause: int | None = None


def _segments(events: list[_EventRecord], spans: list[tuple[int, int]], spoken: list[bool]) -> list[_Segment]:
    """Walk the events in order: WORD opens a segment at a new token, PHONEMEs fill in its times."""
    segments: list[_Segment] = []
    starts = [start for start, _ in spans]
    for kind, position, ms, name in events:
        if kind == _EVENT_WORD:
            token = bisect.bisect_right(starts, position - 1) - 1  # the token at or before it
            if token < 0 or position - 1 >= spans[token][1] or not spoken[token]:
                token = next((i for i in range(token + 1, len(spans)) if spoken[i]), len(spans))
            if token < len(spans) and (not segments or token > segments[-1].token):
                segments.append(_Segment(token, ms))
        elif segments:
            current = segments[-1]
            if not name.startswith("_") or name == _NON_PAUSE_UNDERSCORE:
                current.onsets.append(ms)
                current.pause = None
            elif current.pause is None:
                current.pause = ms
    return segments


def _segment_times(segments: list[_Segment], duration_ms: float) -> list[tuple[float, float]]:
    """(start, end) ms of each segment, by the rules in the module docstring."""
    times = []
    for i, seg in enumerate(segments):
        limit = segments[i + 1].start if i + 1 < len(segments) else duration_ms
        end = min(seg.pause if seg.pause is not None else limit, limit)
        after_pause = i == 0 or segments[i - 1].pause is not None
        times.append((float(seg.onsets[0] if after_pause and seg.onsets else seg.start), end))
    return times


def _cuts(start: float, end: float, weights: list[int], onsets: list[int]) -> list[float]:
    """Where words sharing [start, end) meet: in proportion to `weights`, moved to the nearest
    phoneme onset (e.g. espeak speaks "out of" as one word; "of" then starts at its schwa)."""
    cuts: list[float] = []
    previous, total, done = start, sum(weights), 0
    for weight in weights[:-1]:
        done += weight
        target = start + (end - start) * done / total
        inside = [t for t in onsets if previous < t < end]
        cut = min(inside, key=lambda t: abs(t - target)) if inside else target
        previous = cut if previous < cut < end else (previous + end) / 2
        cuts.append(previous)
    return cuts


def _leads(text: str, spans: list[tuple[int, int]], spoken: list[bool]) -> list[int]:
    """Each token's first token of its word. Punctuation-only tokens ("-", "—", "...") join the
    word before them, or the word after them when they open a line (a bullet) or the text."""
    forward: list[bool] = []
    leads: list[int] = []
    for k, (start, _) in enumerate(spans):
        line_start = k == 0 or "\n" in text[spans[k - 1][1] : start] or forward[k - 1]
        forward.append(not spoken[k] and line_start)
        leads.append(leads[k - 1] if k and forward[k - 1] else k)
    return leads


def _words_from_events(text: str, events: list[_EventRecord], duration_ms: float) -> list[Word]:
    """Turn espeak WORD/PHONEME events into Words (see the module docstring for the rules)."""
    spans = [match.span() for match in re.finditer(r"\S+", text)]
    spoken = [_letters(text[a:b]) > 0 for a, b in spans]
    leads = _leads(text, spans, spoken)
    segments = _segments(events, spans, spoken)
    owned: list[tuple[int, _Segment, float, float]] = []  # (first token owned, segment, start, end)
    carry: int | None = 0  # first token still without an owner: the text's start, or a dropped segment's
    for seg, (start, end) in zip(segments, _segment_times(segments, duration_ms), strict=True):
        if start < end:
            owned.append((leads[seg.token] if carry is None else carry, seg, start, end))
            carry = None
        elif carry is None:  # no time of its own: its tokens go to the next segment
            carry = leads[seg.token]
    words = []
    for i, (first, seg, start, end) in enumerate(owned):
        stop = owned[i + 1][0] if i + 1 < len(owned) else len(spans)
        heads = [k for k in range(first, stop) if spoken[k]]  # one word per spoken token
        bounds = [first, *(leads[k] for k in heads[1:]), stop]
        weights = [_letters(text[slice(*spans[k])]) for k in heads]
        edges = [start, *_cuts(start, end, weights, seg.onsets), end]
        for j in range(len(heads)):
            piece = text[spans[bounds[j]][0] : spans[bounds[j + 1] - 1][1]]
            words.append(Word(text=piece, start=edges[j] / 1000, end=edges[j + 1] / 1000))
    return words


# -- the engine --------------------------------------------------------------------------------


def _write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write 16-bit mono PCM to `path` atomically (temp file beside it, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle, wave.open(handle, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EspeakEngine:
    """espeak-ng through libespeak-ng: robotic but instant, offline, ~100 languages, exact timings."""

    name = "espeak"

    def available(self) -> tuple[bool, str]:
        try:
            library = _get_library()
        except ConfigError:
            return False, _INSTALL_HINT
        return True, f"espeak-ng {library.version} (library)"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        return {"espeak-ng": _get_library().version}

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with espeak voice `voice` (or `language` if empty) at `rate` words/minute."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        voice_name = voice or language
        if not voice_name:
            raise ConfigError("no espeak voice: set voice.voice or voice.language (e.g. en-us)")
        if not _RATE_RANGE[0] <= rate <= _RATE_RANGE[1]:
            raise ConfigError(
                f"espeak rate {rate} wpm is out of range: use {_RATE_RANGE[0]}..{_RATE_RANGE[1]}"
            )
        library = _get_library()
        capture = library.synthesize(text, voice_name, rate)
        sample_rate = library.sample_rate
        samples = len(capture.pcm) // 2
        duration = samples / sample_rate
        out_wav = Path(out_wav)
        _write_wav(out_wav, bytes(capture.pcm), sample_rate)
        words = _words_from_events(text, capture.events, duration * 1000)
        return Speech(
            wav=out_wav,
            duration=duration,
            sample_rate=sample_rate,
            words=words,
            language=language or voice_name,
            voice=voice_name,
        )


register_engine("espeak", EspeakEngine)
