"""A fake ElevenLabs API: `POST /v1/text-to-speech/{voice_id}/with-timestamps` on a real loopback server.

As the SDK (elevenlabs 2.x) and the API reference describe it: the key comes in the `xi-api-key` header,
`output_format` in the query, `{"text", "model_id", ...}` in the JSON body; a 200 answer is
`{"audio_base64", "alignment": {"characters", "character_start_times_seconds",
"character_end_times_seconds"}, "normalized_alignment": {...}}`; errors are `{"detail": {"status",
"message"}}` (401 invalid_api_key, 404 voice_not_found, 429 too_many_concurrent_requests).

The audio is real speech: espeak-ng speaks the text, the WAV is encoded to MP3 (44.1 kHz, 128 kb/s), and
each character's time comes from espeak's measured word times (a word's characters share its span
evenly, a space sits at the previous word's end), so word boundaries can be checked against the audio.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from pathlib import Path

from reelforge.voice.espeak import EspeakEngine
from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer

RACHEL = "21m00Tcm4TlvDq8ikWAM"
PREFIX = "/v1/text-to-speech/"


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"detail": {"status": code, "message": message}}, headers)


def rate_limited(retry_after: float = 0) -> Answer:
    return _error(
        429, "too_many_concurrent_requests", "Too many concurrent requests", {"Retry-After": str(retry_after)}
    )


def speak(text: str) -> tuple[bytes, dict[str, list]]:
    """(MP3 bytes, character alignment) for `text`, spoken by espeak-ng."""
    with tempfile.TemporaryDirectory(prefix="fake-elevenlabs-") as tmp:
        speech = EspeakEngine().synthesize(text, Path(tmp) / "voice.wav", voice="en", language="", rate=175)
        mp3 = Path(tmp) / "voice.mp3"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(speech.wav), "-ar", "44100",
             "-c:a", "libmp3lame", "-b:a", "128k", str(mp3)],
            check=True,
        )  # fmt: skip
        audio = mp3.read_bytes()
    starts: list[float] = []
    ends: list[float] = []
    position, previous_end = 0, 0.0
    for word in speech.words:
        at = text.index(word.text, position)
        for _ in range(position, at):  # whitespace before the word
            starts.append(previous_end)
            ends.append(previous_end)
        step = (word.end - word.start) / len(word.text)
        for i in range(len(word.text)):
            starts.append(round(word.start + i * step, 3))
            ends.append(round(word.start + (i + 1) * step, 3))
        position, previous_end = at + len(word.text), word.end
    for _ in range(position, len(text)):
        starts.append(previous_end)
        ends.append(previous_end)
    alignment = {
        "characters": list(text),
        "character_start_times_seconds": starts,
        "character_end_times_seconds": ends,
    }
    return audio, alignment


class FakeElevenLabs(LoopbackServer):
    """`failures`: answers given, in order, to the first authorised requests before speaking."""

    def __init__(
        self, key: str, voices: frozenset[str] = frozenset({RACHEL}), failures: list[Answer] = ()
    ) -> None:
        super().__init__()
        self.key = key
        self.voices = voices
        self.failures = list(failures)

    def route(self, request: Recorded) -> Answer:
        if request.method != "POST" or not request.path.startswith(PREFIX):
            return _error(404, "not_found", "Not Found")
        voice_id, _, tail = request.path.removeprefix(PREFIX).partition("/")
        if tail != "with-timestamps":
            return _error(404, "not_found", "Not Found")
        if request.headers.get("xi-api-key") != self.key:
            return _error(401, "invalid_api_key", "Invalid API key")
        with self.lock:
            if self.failures:
                return self.failures.pop(0)
        if voice_id not in self.voices:
            return _error(404, "voice_not_found", f"A voice with voice_id {voice_id} was not found.")
        body = request.json
        if not isinstance(body, dict) or not str(body.get("text") or "").strip():
            return json_answer(422, {"detail": [{"loc": ["body", "text"], "msg": "field required"}]})
        if request.query.get("output_format", "mp3_44100_128") != "mp3_44100_128":
            return _error(400, "invalid_output_format", "This fake speaks mp3_44100_128 only")
        audio, alignment = speak(body["text"])
        payload = {
            "audio_base64": base64.b64encode(audio).decode(),
            "alignment": alignment,
            "normalized_alignment": alignment,
        }
        return json_answer(200, payload)
