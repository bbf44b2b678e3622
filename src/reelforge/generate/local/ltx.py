"""LTX-Video (Lightricks): text-to-video and image-to-video from one 2B checkpoint, fast enough for
real time on an H100. Any aspect ratio works (sides a multiple of 32, frames 8k+1); 24 fps."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local.family import ClipPlan, DiffusersGenerator, Preset
from reelforge.generate.local.loading import needs

REPO = "Lightricks/LTX-Video"

MODELS = [
    ModelInfo(
        id="ltx-video",
        name="LTX-Video 2B",
        category="open",
        provider="diffusers",
        cost_per_second=0.0,
        target="reelforge.generate.local.ltx:LTXVideo",
        max_seconds=10.0,
        width=768,
        height=512,
        fps=24,
        image_to_video=True,
        needs=needs("ltx-video", REPO),
    )
]


class LTXVideo(DiffusersGenerator):
    pipeline = "LTXPipeline"
    image_pipeline = "LTXImageToVideoPipeline"
    repos: ClassVar[dict[str, str]] = {"ltx-video": REPO}
    presets: ClassVar[dict[str, Preset]] = {
        "low": Preset(scale=0.75, steps=20, guidance=3.0),
        "medium": Preset(scale=1.0, steps=30, guidance=3.0),
        "high": Preset(scale=1.25, steps=40, guidance=3.0),
        "ultra": Preset(scale=1.5, steps=50, guidance=3.0),
    }
    free_aspect = True
    negative_prompt = "worst quality, inconsistent motion, blurry, jittery, distorted"

    def grid(self, pipe: Any) -> tuple[int, int]:
        spatial = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
        temporal = pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size
        return math.lcm(spatial, 32), temporal  # the pipeline itself insists on sides / 32

    def call_arguments(self, pipe: Any, plan: ClipPlan, request: ClipRequest) -> dict[str, Any]:
        return {"frame_rate": plan.fps}
