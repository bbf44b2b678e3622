"""Voice engines: text -> narration WAV + word timings.

Every engine module registers itself on import; none imports its SDK until it speaks or is asked
whether it is available, so the core runs without any of them installed.
"""

from reelforge.voice import edge as _edge  # noqa: F401  (each import registers one engine)
from reelforge.voice import elevenlabs as _elevenlabs  # noqa: F401
from reelforge.voice import espeak as _espeak  # noqa: F401  (the default engine)
from reelforge.voice import kokoro as _kokoro  # noqa: F401
from reelforge.voice import openai_tts as _openai_tts  # noqa: F401
from reelforge.voice import piper as _piper  # noqa: F401
from reelforge.voice.base import Speech, VoiceEngine, Word, engine_names, get_engine, register_engine

__all__ = ["Speech", "VoiceEngine", "Word", "engine_names", "get_engine", "register_engine"]
