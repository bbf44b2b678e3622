"""CogVideoX (THUDM): 2B and 5B text-to-video and the 5B image-to-video checkpoint. Trained on 720x480
landscape only (portrait requests get 720x480 and the editor crops), 49 frames (6 s) at 8 fps."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local.family import ClipPlan, DiffusersGenerator, Preset
from reelforge.generate.local.loading import needs

REPOS = {
    "cogvideox-2b": "THUDM/CogVideoX-2b",
    "cogvideox-5b": "THUDM/CogVideoX-5b",
    "cogvideox-5b-i2v": "THUDM/CogVideoX-5b-I2V",
}


def _info(model_id: str, name: str, target: str, **fields: Any) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        name=name,
        category="open",
        provider="diffusers",
        cost_per_second=0.0,
        target=f"reelforge.generate.local.cogvideox:{target}",
        max_seconds=6.0,
        width=720,
        height=480,
        fps=8,
        **fields,
        needs=needs(model_id, REPOS[model_id]),
    )


MODELS = [
    _info("cogvideox-2b", "CogVideoX 2B", "CogVideoX"),
    _info("cogvideox-5b", "CogVideoX 5B", "CogVideoX", image_model="cogvideox-5b-i2v"),
    _info("cogvideox-5b-i2v", "CogVideoX 5B I2V", "CogVideoXImage", image_to_video=True, text_to_video=False),
]

PRESETS = {
    "low": Preset(scale=1.0, steps=20, guidance=6.0),
    "medium": Preset(scale=1.0, steps=30, guidance=6.0),
    "high": Preset(scale=1.0, steps=50, guidance=6.0),
    "ultra": Preset(scale=1.0, steps=50, guidance=7.0),
}


class CogVideoX(DiffusersGenerator):
    pipeline = "CogVideoXPipeline"
    repos: ClassVar[dict[str, str]] = REPOS
    presets: ClassVar[dict[str, Preset]] = PRESETS

    def grid(self, pipe: Any) -> tuple[int, int]:
        config = pipe.transformer.config
        spatial = pipe.vae_scale_factor_spatial * config.patch_size
        # CogVideoX 1.0's VAE decodes latent frames in pairs after an odd first one: an even latent count
        # comes out longer than asked (6 latents -> 24 frames, not 21), so frames are 8k + 1.
        return math.lcm(spatial, 8), pipe.vae_scale_factor_temporal * (config.patch_size_t or 2)

    def call_arguments(self, pipe: Any, plan: ClipPlan, request: ClipRequest) -> dict[str, Any]:
        return {"max_sequence_length": pipe.transformer.config.max_text_seq_length, "use_dynamic_cfg": True}


class CogVideoXImage(CogVideoX):
    pipeline = "CogVideoXImageToVideoPipeline"
    image_only = True
