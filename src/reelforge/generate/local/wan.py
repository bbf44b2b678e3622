"""Wan 2.1 (Wan-AI): the 1.3B text-to-video model and the 14B image-to-video model (480p checkpoint).
832x480 or 480x832, up to 81 frames (5 s) at 16 fps."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local.family import DiffusersGenerator, Preset
from reelforge.generate.local.loading import needs

REPOS = {
    "wan-2.1-t2v-1.3b": "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
    "wan-2.1-i2v-14b": "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
}

MODELS = [
    ModelInfo(
        id="wan-2.1-t2v-1.3b",
        name="Wan 2.1 T2V 1.3B",
        category="open",
        provider="diffusers",
        cost_per_second=0.0,
        target="reelforge.generate.local.wan:Wan",
        max_seconds=5.0,
        width=832,
        height=480,
        fps=16,
        image_model="wan-2.1-i2v-14b",
        needs=needs("wan-2.1-t2v-1.3b", REPOS["wan-2.1-t2v-1.3b"]),
    ),
    ModelInfo(
        id="wan-2.1-i2v-14b",
        name="Wan 2.1 I2V 14B (480p)",
        category="open",
        provider="diffusers",
        cost_per_second=0.0,
        target="reelforge.generate.local.wan:WanImage",
        max_seconds=5.0,
        width=832,
        height=480,
        fps=16,
        image_to_video=True,
        text_to_video=False,
        needs=needs("wan-2.1-i2v-14b", REPOS["wan-2.1-i2v-14b"]),
    ),
]

NEGATIVE_PROMPT = (
    "static, still picture, blurry details, subtitles, worst quality, low quality, jpeg artifacts, deformed"
)
"""An English digest of Wan's published negative prompt."""


class Wan(DiffusersGenerator):
    pipeline = "WanPipeline"
    repos: ClassVar[dict[str, str]] = REPOS
    presets: ClassVar[dict[str, Preset]] = {
        "low": Preset(scale=1.0, steps=20, guidance=5.0),
        "medium": Preset(scale=1.0, steps=30, guidance=5.0),
        "high": Preset(scale=1.0, steps=40, guidance=5.0),
        "ultra": Preset(scale=1.0, steps=50, guidance=5.0),
    }
    portrait = True
    negative_prompt = NEGATIVE_PROMPT
    float32_components = ("vae",)  # diffusers' Wan guide decodes in float32

    def grid(self, pipe: Any) -> tuple[int, int]:
        patch_t, patch_h, _patch_w = pipe.transformer.config.patch_size
        spatial = pipe.vae_scale_factor_spatial * patch_h
        return math.lcm(spatial, 16), pipe.vae_scale_factor_temporal * patch_t


class WanImage(Wan):
    pipeline = "WanImageToVideoPipeline"
    image_only = True
    packages = ("ftfy",)  # diffusers' Wan I2V pipeline cleans prompts with it, unguarded
