"""The ElevenLabs engine: `POST /v1/text-to-speech/{voice_id}/with-timestamps` through the official SDK.

The answer carries the audio (MP3, base64) and an `alignment`: every character of the text with its start
and end time. A word runs from its first spoken character's start to its last one's end. `voice` is an
ElevenLabs voice id (default: Rachel, a premade voice every account has); the key is ELEVENLABS_API_KEY,
ELEVENLABS_BASE_URL points the SDK elsewhere (a proxy, or the tests' fake). The SDK retries 429 and 5xx
answers itself, honouring Retry-After. `rate` is ignored: ElevenLabs voices speak at their own pace.
"""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import AuthError, ConfigError, InputError, ProviderError, QuotaError
from reelforge.voice import align
from reelforge.voice.base import Speech, Word, register_engine
from reelforge.voice.wavfile import decode_to_wav, read_wav

DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"
"""Rachel, one of the premade voices."""
MODEL = "eleven_multilingual_v2"
OUTPUT_FORMAT = "mp3_44100_128"
_INSTALL = "pip install elevenlabs"


def _detail(body: Any) -> tuple[str, str]:
    """(status, message) from an ElevenLabs error body: {"detail": {"status": ..., "message": ...}}."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        return str(detail.get("status", "")), str(detail.get("message", ""))
    return "", str(detail or body or "")[:200]


def _error(exc: Exception, voice: str) -> Exception:
    """The reelforge error for an SDK ApiError (or a connection failure)."""
    status_code = getattr(exc, "status_code", None)
    status, message = _detail(getattr(exc, "body", None))
    if status_code is None:
        return ProviderError(
            f"elevenlabs: cannot reach the API ({type(exc).__name__}): check ELEVENLABS_BASE_URL"
        )
    if status == "quota_exceeded" or status_code == 429:
        return QuotaError(f"elevenlabs: {message or 'rate limit or credits exhausted'} (HTTP {status_code})")
    if status_code in (401, 403):
        return AuthError(f"elevenlabs refused the key ({message or status_code}): check ELEVENLABS_API_KEY")
    if status_code == 404 or status == "voice_not_found":
        return ConfigError(
            f"elevenlabs has no voice {voice!r}: set voice.voice to a voice id from your account"
        )
    return ProviderError(f"elevenlabs failed (HTTP {status_code}): {message or status or 'no message'}")


def words_from_characters(
    text: str, characters: list[str], starts: list[float], ends: list[float]
) -> list[Word]:
    """The script's words timed by ElevenLabs' per-character alignment of the same text."""
    if "".join(characters) != text:
        raise ProviderError("elevenlabs: the alignment's characters do not spell the text that was sent")
    offsets = [0]
    for char in characters:
        offsets.append(offsets[-1] + len(char))
    index = {offset: i for i, offset in enumerate(offsets[:-1])}
    words = []
    for a, b in align.script_word_spans(text):
        spoken = [index[p] for p in range(a, b) if p in index and align.letters(text[p])] or [index[a]]
        words.append(Word(text=text[a:b], start=starts[spoken[0]], end=ends[spoken[-1]]))
    return words


class ElevenLabsEngine:
    """ElevenLabs: premium hosted voices in ~30 languages, with per-character timings."""

    name = "elevenlabs"

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("elevenlabs") is None:
            return False, _INSTALL
        if settings().elevenlabs_api_key is None:
            return False, "set ELEVENLABS_API_KEY"
        return True, f"ELEVENLABS_API_KEY set; model {MODEL}, word timings from character alignment"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        return {"model": MODEL, "server": settings().elevenlabs_base_url}

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with ElevenLabs voice id `voice` (default Rachel)."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        config = settings()
        if config.elevenlabs_api_key is None:
            raise AuthError("the elevenlabs voice needs a key: set ELEVENLABS_API_KEY")
        try:
            from elevenlabs.client import ElevenLabs
            from elevenlabs.core.api_error import ApiError
        except ImportError as exc:
            raise ConfigError(f"the elevenlabs engine is not installed: {_INSTALL}") from exc
        import httpx

        voice_id = voice or DEFAULT_VOICE
        client = ElevenLabs(
            api_key=config.elevenlabs_api_key.get_secret_value(),
            base_url=config.elevenlabs_base_url,
            timeout=config.voice_timeout,
        )
        try:
            answer = client.text_to_speech.convert_with_timestamps(
                voice_id,
                text=text,
                model_id=MODEL,
                output_format=OUTPUT_FORMAT,
                request_options={"max_retries": config.voice_retries},
            )
        except (ApiError, httpx.HTTPError) as exc:
            raise _error(exc, voice_id) from exc
        if answer.alignment is None:
            raise ProviderError("elevenlabs answered without an alignment: no word timings to caption with")
        out_wav = Path(out_wav)
        decode_to_wav(base64.b64decode(answer.audio_base_64), out_wav, what="elevenlabs audio")
        alignment = answer.alignment
        words = words_from_characters(
            text,
            alignment.characters,
            alignment.character_start_times_seconds,
            alignment.character_end_times_seconds,
        )
        samples, sample_rate = read_wav(out_wav)
        return Speech(
            wav=out_wav,
            duration=len(samples) / sample_rate,
            sample_rate=sample_rate,
            words=align.fit_to_audio(words, out_wav),
            language=language,
            voice=voice_id,
        )


register_engine("elevenlabs", ElevenLabsEngine)
