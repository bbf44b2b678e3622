"""The OpenAI TTS engine: `POST /v1/audio/speech` through the official SDK; word timings from the aligner.

The endpoint returns audio only, so the words are timed by `align.align` (faster-whisper when
WHISPER_MODEL_DIR is set, else the audio's pauses). `voice` is an OpenAI voice (default `alloy`), the
model OPENAI_TTS_MODEL (default gpt-4o-mini-tts), `rate` maps to `speed` (165 wpm = 1.0). The key is
OPENAI_API_KEY; OPENAI_TTS_BASE_URL points at any server with the same route (a local one, or the tests'
fake). The SDK retries 429 and 5xx answers itself, honouring Retry-After.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import AuthError, ConfigError, InputError, ProviderError, QuotaError
from reelforge.voice import align
from reelforge.voice.base import Speech, register_engine
from reelforge.voice.wavfile import decode_to_wav, read_wav

DEFAULT_VOICE = "alloy"
NATURAL_RATE = 165
_INSTALL = "pip install openai"


class OpenAITTSEngine:
    """OpenAI text-to-speech: natural hosted voices; words timed by the forced aligner."""

    name = "openai"

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("openai") is None:
            return False, _INSTALL
        config = settings()
        if config.openai_api_key is None:
            return False, "set OPENAI_API_KEY (and OPENAI_TTS_BASE_URL for a compatible server)"
        timing = (
            "faster-whisper" if config.whisper_model_dir else "pauses (set WHISPER_MODEL_DIR for whisper)"
        )
        return True, f"OPENAI_API_KEY set; model {config.openai_tts_model}; word timings from {timing}"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        config = settings()
        return {"model": config.openai_tts_model, "server": config.openai_tts_base_url, **align.fingerprint()}

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with OpenAI voice `voice` (default alloy) at `rate` words/minute."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        words = align.script_words(text)
        config = settings()
        if config.openai_api_key is None:
            raise AuthError("the openai voice needs a key: set OPENAI_API_KEY")
        try:
            import openai
        except ImportError as exc:
            raise ConfigError(f"the openai engine is not installed: {_INSTALL}") from exc
        client = openai.OpenAI(
            api_key=config.openai_api_key.get_secret_value(),
            base_url=config.openai_tts_base_url,
            timeout=config.voice_timeout,
            max_retries=config.voice_retries,
        )
        voice_name = voice or DEFAULT_VOICE
        try:
            answer = client.audio.speech.create(
                model=config.openai_tts_model,
                voice=voice_name,
                input=text,
                response_format="wav",
                speed=min(4.0, max(0.25, rate / NATURAL_RATE)),
            )
        except openai.AuthenticationError as exc:
            raise AuthError(f"openai refused the key ({exc.status_code}): check OPENAI_API_KEY") from exc
        except openai.RateLimitError as exc:
            raise QuotaError(f"openai TTS: rate limit or quota reached: {_message(exc)}") from exc
        except openai.BadRequestError as exc:
            raise ConfigError(
                f"openai TTS rejected voice {voice_name!r} or its settings: {_message(exc)}"
            ) from exc
        except openai.APIStatusError as exc:
            raise ProviderError(f"openai TTS failed (HTTP {exc.status_code}): {_message(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise ProviderError("openai TTS: cannot reach the API: check OPENAI_TTS_BASE_URL") from exc
        out_wav = Path(out_wav)
        decode_to_wav(answer.content, out_wav, what="openai TTS audio")
        samples, sample_rate = read_wav(out_wav)
        return Speech(
            wav=out_wav,
            duration=len(samples) / sample_rate,
            sample_rate=sample_rate,
            words=align.align(out_wav, words, language),
            language=language,
            voice=voice_name,
        )


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        body = body.get("error", body)
        if isinstance(body, dict):
            return str(body.get("message", ""))[:200]
    return str(exc)[:200]


register_engine("openai", OpenAITTSEngine)
