"""The voice engine interface: one `synthesize` method, the same for every engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from reelforge.errors import ConfigError


class Word(BaseModel):
    """One spoken word and where it sits in the WAV (seconds from the WAV's start)."""

    text: str
    start: float
    end: float


class Speech(BaseModel):
    """A synthesized narration: the WAV file, its exact length and its word timings."""

    wav: Path
    duration: float
    sample_rate: int
    words: list[Word]
    language: str
    voice: str


class VoiceEngine(Protocol):
    """What every engine provides. `synthesize` writes `out_wav` and returns its Speech."""

    name: str

    def available(self) -> tuple[bool, str]:
        """Whether the engine can run here, and a one-line reason / what it needs."""
        ...

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech: ...

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        """What else decides the audio for this voice (model files, model names, versions): part of the
        voice stage's cache key, so changing a model file or setting re-synthesizes instead of reusing."""
        ...


def file_stamp(path: Path) -> list[Any]:
    """A file as a cache key sees it: path, size and modification time."""
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


_ENGINES: dict[str, type] = {}


def register_engine(name: str, factory: type) -> None:
    """Make an engine selectable by name in a storyboard's `voice.engine`."""
    _ENGINES[name] = factory


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def get_engine(name: str) -> VoiceEngine:
    if name not in _ENGINES:
        raise ConfigError(f"unknown voice engine {name!r}: choose one of {', '.join(engine_names())}")
    return _ENGINES[name]()
