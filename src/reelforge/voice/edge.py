"""The edge-tts engine: Microsoft Edge's online read-aloud voices, word timings from its WordBoundary events.

edge-tts streams MP3 audio and, with `boundary="WordBoundary"`, one event per spoken word: `offset` and
`duration` in 100-nanosecond ticks and the word's `text`. The spoken words are paired with the script's
(spelling decides where they differ, e.g. "3.5" spoken as "3.5" or as three words). It needs the internet;
`voice` is an edge voice name (default en-US-EmmaMultilingualNeural; list them with `edge-tts --list-voices`),
`rate` becomes edge's `rate` percentage (165 wpm = +0%).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from reelforge.errors import ConfigError, InputError, ProviderError
from reelforge.voice import align
from reelforge.voice.base import Speech, Word, register_engine
from reelforge.voice.wavfile import decode_to_wav, read_wav

DEFAULT_VOICE = "en-US-EmmaMultilingualNeural"
NATURAL_RATE = 165
TICKS_PER_SECOND = 10_000_000
_INSTALL = "pip install edge-tts (it needs the internet)"


def boundary_units(events: list[dict[str, Any]]) -> list[align.Unit]:
    """edge-tts WordBoundary events as timed units (seconds)."""
    return [
        align.Unit(
            e["text"],
            e["offset"] / TICKS_PER_SECOND,
            (e["offset"] + e["duration"]) / TICKS_PER_SECOND,
            len(e["text"]),
        )
        for e in events
        if e.get("type") == "WordBoundary"
    ]


def words_from_boundaries(words: list[str], events: list[dict[str, Any]]) -> list[Word] | None:
    """The script's words timed by edge's events; None when they cannot be paired."""
    units = boundary_units(events)
    if not units:
        return None
    return align.words_from_units(words, units, align.spelling_cost(words, units), max_words=6, max_units=6)


class EdgeEngine:
    """edge-tts: free natural online voices in ~75 languages, with word timings."""

    name = "edge"

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("edge_tts") is None:
            return False, _INSTALL
        return True, "edge-tts installed (needs the internet at render time); word timings from WordBoundary"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        return {}  # the service's voices are named by `voice`; nothing local decides the audio

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with edge voice `voice` at `rate` words/minute."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        try:
            import edge_tts
        except ImportError as exc:
            raise ConfigError(f"the edge engine is not installed: {_INSTALL}") from exc
        words = align.script_words(text)
        voice_name = voice or DEFAULT_VOICE
        percent = round((rate / NATURAL_RATE - 1) * 100)
        communicate = edge_tts.Communicate(text, voice_name, rate=f"{percent:+d}%", boundary="WordBoundary")
        audio = bytearray()
        events: list[dict[str, Any]] = []
        try:
            for chunk in communicate.stream_sync():
                if chunk["type"] == "audio":
                    audio += chunk["data"]
                else:
                    events.append(dict(chunk))
        except edge_tts.exceptions.NoAudioReceived as exc:
            raise ConfigError(f"edge-tts returned no audio: is {voice_name!r} a valid edge voice?") from exc
        except Exception as exc:  # aiohttp / websocket errors
            raise ProviderError(
                f"edge-tts failed ({type(exc).__name__}: {exc}): it needs the internet"
            ) from exc
        out_wav = Path(out_wav)
        decode_to_wav(bytes(audio), out_wav, what="edge-tts audio")
        timed = words_from_boundaries(words, events)
        samples, sample_rate = read_wav(out_wav)
        return Speech(
            wav=out_wav,
            duration=len(samples) / sample_rate,
            sample_rate=sample_rate,
            words=align.fit_to_audio(timed, out_wav) if timed else align.align(out_wav, words, language),
            language=language,
            voice=voice_name,
        )


register_engine("edge", EdgeEngine)
