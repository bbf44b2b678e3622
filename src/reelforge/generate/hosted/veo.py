"""Google Veo 3.1 through the Gemini API's long-running operations, spoken with httpx.

`POST {base}/models/{model}:predictLongRunning` (`x-goog-api-key`) -> `{"name": operation}`; poll
`GET {base}/{name}` until `done`, then download `response.generateVideoResponse.generatedSamples[0]
.video.uri` with the key (it redirects; the key never follows to another host). The official
google-genai SDK (3.x) refuses `generate_videos` outside Vertex AI ("only supported in Gemini Enterprise
Agent Platform mode"), so this client speaks the documented REST protocol itself, with retries on
429/5xx honouring Retry-After. Shape -> 16:9 or 9:16; length -> 4, 6 or 8 s (the shortest that covers
the scene); resolution 720p; a WebP reference image is sent as PNG (the documents list PNG and JPEG
only). A safety block (`raiMediaFilteredCount` > 0, no samples) raises
ModerationError. The Gemini API documents no cancel for these operations: one past the deadline is left
to expire.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import AuthError, ModerationError, ProviderError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo

KEY = "GEMINI_API_KEY"
NEEDS = f"{KEY} on a paid Gemini API plan (and pip install 'reelforge[hosted]')"
TARGET = "reelforge.generate.hosted.veo:VeoGenerator"

MODELS = [
    ModelInfo(
        id="veo-3.1", name="Google Veo 3.1", category="premium", provider="google", target=TARGET,
        max_seconds=8, width=1280, height=720, fps=24, cost_per_second=0.40, image_to_video=True, needs=NEEDS,
    ),
    ModelInfo(
        id="veo-3.1-fast", name="Google Veo 3.1 Fast", category="premium", provider="google", target=TARGET,
        max_seconds=8, width=1280, height=720, fps=24, cost_per_second=0.10, image_to_video=True, needs=NEEDS,
    ),
]  # fmt: skip

API_MODELS = {"veo-3.1": "veo-3.1-generate-preview", "veo-3.1-fast": "veo-3.1-fast-generate-preview"}
RATIOS = ("16:9", "9:16")
DURATIONS = (4, 6, 8)
RESOLUTION = "720p"


class VeoGenerator(ModelGenerator):
    def available(self) -> tuple[bool, str]:
        try:
            import httpx  # noqa: F401
            import stamina  # noqa: F401
        except ImportError:
            return False, "pip install 'reelforge[hosted]' (needs httpx and stamina)"
        if settings().gemini_api_key is None:
            return False, f"set {KEY} (a Gemini API key on a paid plan: Veo is not on the free tier)"
        return True, "Gemini API key set"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Start the operation, poll it until done, download the video to `out`."""
        self.require()
        import httpx

        from reelforge.generate.hosted import common

        cfg = settings()
        assert cfg.gemini_api_key is not None  # available() checked it
        secret = cfg.gemini_api_key.get_secret_value()
        base = cfg.gemini_base_url.rstrip("/")
        instance: dict[str, Any] = {"prompt": request.prompt}
        if request.image is not None:
            data, mime = _png_or_jpeg(request.image, what=self.id)
            instance["image"] = {"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": mime}
        body = {
            "instances": [instance],
            "parameters": {
                "aspectRatio": common.nearest_ratio(request.width, request.height, RATIOS),
                "durationSeconds": common.covering(common.seconds(request), DURATIONS),
                "resolution": RESOLUTION,
            },
        }
        headers = {"x-goog-api-key": secret}
        client = httpx.Client(headers=headers, timeout=cfg.provider_request_timeout)

        def call(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
            response = common.send(client, method, url, what=self.id, retries=cfg.provider_retries, **kwargs)
            payload = _json(response)
            if response.status_code >= 400:
                raise _status_error(self.id, response.status_code, payload, secret)
            return payload

        def submit() -> str:
            return call("POST", f"{base}/models/{API_MODELS[self.id]}:predictLongRunning", json=body)["name"]

        def check(name: str) -> str | None:
            operation = call("GET", f"{base}/{name}")
            return _video_uri(self.id, operation, secret) if operation.get("done") else None

        with client:
            return common.fetch_clip(
                request, out, cfg, what=self.id, submit=submit, check=check, headers=headers
            )


def _json(response: Any) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {"error": {"message": response.text}}
    return payload if isinstance(payload, dict) else {"error": {"message": str(payload)}}


def _status_error(what: str, status: int, payload: dict[str, Any], secret: str) -> ProviderError:
    """Google's `{"error": {"code", "message", "status", "details"}}`; a bad key is 400 API_KEY_INVALID."""
    from reelforge.generate.hosted.common import one_line, status_error

    error = payload.get("error") or {}
    if status == 400 and "API_KEY_INVALID" in str(error):
        message = one_line(error.get("message"), secret)
        return AuthError(f"{what}: Google refused the key in {KEY} ({message}): set a valid {KEY}")
    detail = f"{error.get('status', '')} {error.get('message', '')}".strip() or "no details"
    return status_error(status, detail, what=what, key_name=KEY, secret=secret)


def _video_uri(what: str, operation: dict[str, Any], secret: str) -> str:
    """The finished operation's video URI, or the error it ended with."""
    from reelforge.generate.hosted.common import one_line

    if operation.get("error"):
        error = operation["error"]
        raise ProviderError(f"{what}: Veo failed: {one_line(error.get('message') or error, secret)}")
    result = (operation.get("response") or {}).get("generateVideoResponse") or {}
    samples = result.get("generatedSamples") or []
    if samples and (samples[0].get("video") or {}).get("uri"):
        return samples[0]["video"]["uri"]
    if result.get("raiMediaFilteredCount"):
        reasons = one_line("; ".join(result.get("raiMediaFilteredReasons") or ["safety filter"]))
        raise ModerationError(
            f"{what}: Google's safety filter blocked the video ({reasons}): reword the scene"
        )
    raise ProviderError(f"{what}: the finished operation has no video")


def _png_or_jpeg(path: Path, *, what: str) -> tuple[bytes, str]:
    """A reference image as Veo takes it: its documents list PNG and JPEG only, so WebP becomes PNG."""
    from reelforge.generate.hosted import common

    data, mime = common.image_bytes(path, what=what)
    if mime != "image/webp":
        return data, mime
    with tempfile.TemporaryDirectory(prefix="reelforge-veo-") as folder:
        png = Path(folder) / "image.png"
        run_ffmpeg(["-i", str(path), "-frames:v", "1", str(png)], what=f"{what}: reading {path.name}")
        return png.read_bytes(), "image/png"
