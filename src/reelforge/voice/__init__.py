"""Voice engines: text -> narration WAV + word timings."""

from reelforge.voice import espeak as _espeak  # noqa: F401  (registers the default engine)
from reelforge.voice.base import Speech, VoiceEngine, Word, get_engine, register_engine

__all__ = ["Speech", "VoiceEngine", "Word", "get_engine", "register_engine"]
