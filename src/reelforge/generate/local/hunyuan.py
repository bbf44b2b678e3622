"""HunyuanVideo (Tencent, community diffusers weights): 13B text-to-video, guidance-distilled (one pass
per step). 960x544 or 1280x720 in either orientation, up to 129 frames (5.4 s) at 24 fps."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local.family import DiffusersGenerator, Preset
from reelforge.generate.local.loading import needs

REPO = "hunyuanvideo-community/HunyuanVideo"

MODELS = [
    ModelInfo(
        id="hunyuanvideo",
        name="HunyuanVideo 13B",
        category="open",
        provider="diffusers",
        cost_per_second=0.0,
        target="reelforge.generate.local.hunyuan:HunyuanVideo",
        max_seconds=5.4,
        width=1280,
        height=720,
        fps=24,
        needs=needs("hunyuanvideo", REPO),
    )
]


class HunyuanVideo(DiffusersGenerator):
    pipeline = "HunyuanVideoPipeline"
    repos: ClassVar[dict[str, str]] = {"hunyuanvideo": REPO}
    presets: ClassVar[dict[str, Preset]] = {
        "low": Preset(scale=0.75, steps=20, guidance=6.0),
        "medium": Preset(scale=0.75, steps=30, guidance=6.0),
        "high": Preset(scale=1.0, steps=40, guidance=6.0),
        "ultra": Preset(scale=1.0, steps=50, guidance=6.0),
    }
    portrait = True

    def grid(self, pipe: Any) -> tuple[int, int]:
        config = pipe.transformer.config
        spatial = pipe.vae_scale_factor_spatial * config.patch_size
        return math.lcm(spatial, 16), pipe.vae_scale_factor_temporal * config.patch_size_t
