"""Quality presets and clip planning at the published models' native sizes, and the frame checks."""

from __future__ import annotations

import numpy as np
import pytest

from reelforge.errors import ClipRejectedError, ProviderError
from reelforge.generate.base import ClipRequest
from reelforge.generate.local import cogvideox, frames, hunyuan, ltx, wan
from reelforge.generate.local.family import QUALITIES, ClipPlan, plan_clip
from tests.conftest import ffprobe, stream

GRID = {"ltx": (32, 8), "cogvideox": (16, 4), "wan": (16, 4), "hunyuan": (16, 4)}
"""(spatial, temporal) multiples of the published checkpoints (VAE compression x patch size)."""


def plan(module, cls, quality="medium", size=(1080, 1920), seconds=3.0, fps=30) -> ClipPlan:
    request = ClipRequest(prompt="p", width=size[0], height=size[1], fps=fps, num_frames=round(seconds * fps),
                          quality=quality)  # fmt: skip
    spatial, temporal = GRID[module.__name__.rsplit(".", 1)[1]]
    return plan_clip(module.MODELS[0], cls.presets[quality], request, spatial=spatial, temporal=temporal,
                     free_aspect=cls.free_aspect, portrait=cls.portrait)  # fmt: skip


def test_ltx_keeps_the_requested_aspect_in_multiples_of_32_and_8k_plus_1_frames():
    portrait = plan(ltx, ltx.LTXVideo, size=(1080, 1920), seconds=5.0)
    assert (portrait.width, portrait.height, portrait.num_frames, portrait.fps) == (480, 832, 121, 24)
    landscape = plan(ltx, ltx.LTXVideo, size=(1920, 1080), seconds=5.0)
    assert (landscape.width, landscape.height) == (832, 480)
    by_quality = [plan(ltx, ltx.LTXVideo, q, size=(768, 512)) for q in QUALITIES]
    assert [(p.width, p.height, p.steps) for p in by_quality] == [
        (576, 384, 20),
        (768, 512, 30),
        (960, 640, 40),
        (1152, 768, 50),
    ]


def test_durations_become_native_frames_capped_at_max_seconds():
    assert plan(ltx, ltx.LTXVideo, seconds=1.0).num_frames == 25  # 24 + 1
    assert plan(ltx, ltx.LTXVideo, seconds=30.0).num_frames == 241  # capped at 10 s: 8 * 30 + 1
    assert plan(cogvideox, cogvideox.CogVideoX, seconds=6.0).num_frames == 49
    assert plan(cogvideox, cogvideox.CogVideoX, seconds=2.0).num_frames == 17
    assert plan(wan, wan.Wan, seconds=5.0).num_frames == 81
    assert plan(hunyuan, hunyuan.HunyuanVideo, seconds=5.4).num_frames == 129


def test_fixed_size_models_pick_their_native_size_nearest_the_aspect():
    cog = plan(cogvideox, cogvideox.CogVideoX, size=(1080, 1920), seconds=5.0)
    assert (cog.width, cog.height, cog.num_frames) == (720, 480, 41)  # landscape only: the editor crops
    portrait = plan(wan, wan.Wan, size=(1080, 1920), seconds=5.0)
    assert (portrait.width, portrait.height, portrait.num_frames, portrait.guidance) == (480, 832, 81, 5.0)
    landscape = plan(wan, wan.Wan, size=(1920, 1080))
    assert (landscape.width, landscape.height) == (832, 480)
    medium = plan(hunyuan, hunyuan.HunyuanVideo, size=(1080, 1920), seconds=5.0)
    low = plan(hunyuan, hunyuan.HunyuanVideo, "low", size=(1920, 1080))
    ultra = plan(hunyuan, hunyuan.HunyuanVideo, "ultra", size=(1080, 1920))
    assert (medium.width, medium.height, medium.num_frames) == (544, 960, 121)
    assert (low.width, low.height, ultra.width, ultra.height) == (960, 544, 720, 1280)


def test_every_family_has_every_quality():
    for cls in (ltx.LTXVideo, cogvideox.CogVideoX, wan.Wan, hunyuan.HunyuanVideo):
        assert tuple(cls.presets) == QUALITIES
        steps = [cls.presets[q].steps for q in QUALITIES]
        assert steps == sorted(steps)


def test_nan_frames_are_a_provider_error_naming_the_model():
    video = np.full((9, 16, 16, 3), 0.5, np.float32)
    video[4, 3, 3, 0] = np.nan
    with pytest.raises(ProviderError, match="ltx-video produced NaN frames"):
        frames.to_uint8(video, "ltx-video")


def test_black_frames_are_rejected_naming_the_model():
    with pytest.raises(ClipRejectedError, match=r"wan-2\.1-t2v-1\.3b produced an all-black clip"):
        frames.to_uint8(np.zeros((9, 16, 16, 3), np.float32), "wan-2.1-t2v-1.3b")


def test_frames_are_retimed_and_fitted_to_the_request(tmp_path):
    """8 model frames at 8 fps (1 s) of 40x24 -> 30 frames of 20x36 at 30 fps, the last frame held."""
    rng = np.random.default_rng(0)
    pixels = frames.to_uint8(rng.random((8, 24, 40, 3), dtype=np.float32), "m")
    out = frames.write_mp4(pixels, 8, tmp_path / "clip.mp4", size=(20, 36), rate=30, count=33)
    video = stream(ffprobe(out), "video")
    assert (video["width"], video["height"], video["r_frame_rate"], video["pix_fmt"]) == (
        20,
        36,
        "30/1",
        "yuv420p",
    )
    assert int(video["nb_read_frames"]) == 33
