"""A fake OpenAI speech endpoint: `POST /v1/audio/speech` on a real loopback server.

As OpenAI's API reference and the openai SDK describe it: `Authorization: Bearer KEY`; a JSON body
`{"model", "input", "voice", "response_format", "speed"}`; a 200 answer is the audio itself
(`response_format` wav -> audio/wav, mp3 -> audio/mpeg); errors are `{"error": {"message", "type",
"param", "code"}}` (401 invalid_api_key, 429 rate_limit_exceeded with Retry-After, 400 invalid voice).

The audio is real speech from espeak-ng at a rate scaled by `speed`; `spoken` keeps espeak's own word
times of the last answer, so a test can measure the aligner's error against them.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from reelforge.voice.base import Speech
from reelforge.voice.espeak import EspeakEngine
from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer

VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"}
)
MODELS = frozenset({"gpt-4o-mini-tts", "tts-1", "tts-1-hd"})


def error(
    status: int, message: str, kind: str, code: str | None, param: str | None = None, **headers: str
) -> Answer:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return json_answer(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


def rate_limited(retry_after: float = 0) -> Answer:
    return error(
        429,
        "Rate limit reached for requests",
        "requests",
        "rate_limit_exceeded",
        retry_after=str(retry_after),
    )


class FakeOpenAITTS(LoopbackServer):
    def __init__(self, key: str, failures: list[Answer] = ()) -> None:
        super().__init__()
        self.key = key
        self.failures = list(failures)
        self.spoken: Speech | None = None

    def route(self, request: Recorded) -> Answer:
        if (request.method, request.path) != ("POST", "/v1/audio/speech"):
            return error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None)
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        with self.lock:
            if self.failures:
                return self.failures.pop(0)
        body = request.json
        if body.get("model") not in MODELS:
            return error(
                400,
                f"Invalid model {body.get('model')!r}",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        if body.get("voice") not in VOICES:
            message = (
                f"Invalid value: {body.get('voice')!r}. Supported values are: {', '.join(sorted(VOICES))}."
            )
            return error(400, message, "invalid_request_error", "invalid_value", "voice")
        speed = float(body.get("speed", 1.0))
        if not 0.25 <= speed <= 4.0 or not str(body.get("input") or "").strip():
            return error(
                400, "Invalid speed or empty input", "invalid_request_error", "invalid_value", "speed"
            )
        fmt = body.get("response_format", "mp3")
        with tempfile.TemporaryDirectory(prefix="fake-openai-tts-") as tmp:
            rate = max(80, min(450, round(175 * speed)))
            self.spoken = EspeakEngine().synthesize(
                body["input"], Path(tmp) / "espeak.wav", voice="en", language="", rate=rate
            )
            out = Path(tmp) / f"speech.{fmt}"
            codec = {
                "wav": ["-c:a", "pcm_s16le", "-ar", "24000"],
                "mp3": ["-c:a", "libmp3lame", "-ar", "24000"],
            }
            if fmt not in codec:
                return error(
                    400, f"Unsupported response_format {fmt!r}", "invalid_request_error", "invalid_value"
                )
            subprocess.run(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-y",
                    "-i",
                    str(self.spoken.wav),
                    *codec[fmt],
                    str(out),
                ],
                check=True,
            )
            audio = out.read_bytes()
        media = {"wav": "audio/wav", "mp3": "audio/mpeg"}[fmt]
        return Answer(200, audio, {"Content-Type": media})
