"""Luma Dream Machine v1 (Ray 2, Ray Flash 2) through the official `lumaai` SDK.

Create a generation (`POST /generations/video`), poll `GET /generations/{id}` through queued / dreaming
until completed (`assets.video`) or failed (`failure_reason`), download the video. The SDK retries
429/5xx itself, honouring Retry-After. Shape -> nearest allowed aspect ratio; length -> "5s" or "9s"
(the shorter one that covers the scene); quality -> resolution (low 540p, medium 720p, high 1080p,
ultra 4k). Luma's API takes reference images only as public URLs (no upload, no data: URI), so these
models do not offer image-to-video here.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import InputError, ModerationError, ProviderError
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo

KEY = "LUMAAI_API_KEY"
NEEDS = f"{KEY} (and pip install 'reelforge[hosted]')"
TARGET = "reelforge.generate.hosted.luma:LumaGenerator"

MODELS = [
    ModelInfo(
        id="luma-ray-2", name="Luma Ray 2", category="premium", provider="luma", target=TARGET,
        max_seconds=9, width=1280, height=720, fps=24, needs=NEEDS,
    ),
    ModelInfo(
        id="luma-ray-flash-2", name="Luma Ray Flash 2", category="premium", provider="luma", target=TARGET,
        max_seconds=9, width=1280, height=720, fps=24, needs=NEEDS,
    ),
]  # fmt: skip

API_MODELS = {"luma-ray-2": "ray-2", "luma-ray-flash-2": "ray-flash-2"}
RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
DURATIONS = (5, 9)
RESOLUTIONS = {"low": "540p", "medium": "720p", "high": "1080p", "ultra": "4k"}
MODERATION_WORDS = ("moderation", "safety", "not allowed", "inappropriate", "content policy", "blocked")
"""Luma's failure_reason for a refused prompt is not documented: these words in it mean a refusal."""


class LumaGenerator(ModelGenerator):
    def available(self) -> tuple[bool, str]:
        try:
            import lumaai  # noqa: F401
        except ImportError:
            return False, "pip install 'reelforge[hosted]' (needs the lumaai SDK)"
        if settings().lumaai_api_key is None:
            return False, f"set {KEY} (a Luma Dream Machine API key)"
        return True, "Luma API key set"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Create the generation, wait for it, download the MP4 Luma made to `out`."""
        self.require()
        import lumaai

        from reelforge.generate.hosted import common

        cfg = settings()
        assert cfg.lumaai_api_key is not None  # available() checked it
        if request.image is not None:
            raise InputError(
                f"{self.id}: Luma takes reference images only as public URLs: use runway-gen4.5 or veo-3.1 "
                "for a scene with an image"
            )
        secret = cfg.lumaai_api_key.get_secret_value()
        client = lumaai.LumaAI(
            auth_token=secret, base_url=cfg.lumaai_base_url, timeout=cfg.provider_request_timeout,
            max_retries=cfg.provider_retries,
        )  # fmt: skip

        def submit() -> str:
            generation = client.generations.video.create(
                model=API_MODELS[self.id],
                prompt=request.prompt,
                aspect_ratio=common.nearest_ratio(request.width, request.height, RATIOS),
                duration=f"{common.covering(common.seconds(request), DURATIONS)}s",
                resolution=RESOLUTIONS.get(request.quality, "720p"),
            )
            return str(generation.id)

        with client, common.sdk_errors(lumaai, what=self.id, key_name=KEY, secret=secret):
            return common.fetch_clip(
                request, out, cfg, what=self.id, submit=submit, check=partial(_check, client, self.id),
                cancel=client.generations.delete,
            )  # fmt: skip


def _check(client: Any, what: str, generation_id: str) -> str | None:
    """The video URL once the generation completed, None while queued or dreaming; its failure as an error."""
    state = client.generations.get(generation_id)
    if state.state == "completed":
        if not (state.assets and state.assets.video):
            raise ProviderError(f"{what}: generation {generation_id} completed without a video")
        return state.assets.video
    if state.state == "failed":
        raise _failure(what, state.failure_reason or "no reason given")
    return None


def _failure(what: str, reason: str) -> ProviderError:
    from reelforge.generate.hosted.common import one_line

    reason = one_line(reason)
    if any(word in reason.lower() for word in MODERATION_WORDS):
        return ModerationError(f"{what}: Luma refused the content: {reason}: reword the scene")
    return ProviderError(f"{what}: Luma generation failed: {reason}")
