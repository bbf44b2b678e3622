"""The opt-in GPU speed-ups: parsing the setting, and FirstBlockCache on a real (tiny) transformer."""

from __future__ import annotations

import numpy as np
import pytest

from reelforge.errors import ConfigError
from reelforge.generate.local import speed
from reelforge.generate.local.loading import load_pipeline


def test_speedups_are_named_and_checked():
    assert speed.parse("compile, cache") == frozenset({"compile", "cache"})
    assert speed.parse("") == frozenset()
    with pytest.raises(
        ConfigError, match="REELFORGE_SPEEDUPS: unknown turbo: use any of attention, compile, cache"
    ):
        speed.parse("cache,turbo")


def test_first_block_cache_runs_on_a_real_transformer(tiny_dirs):
    import torch

    pipe = load_pipeline("LTXPipeline", tiny_dirs["ltx"], torch.float32)
    pipe.set_progress_bar_config(disable=True)
    assert speed.accelerate(pipe, frozenset({"cache"})) == ["cache=first-block:0.05"]
    video = pipe(
        "a cat walks", height=32, width=32, num_frames=9, num_inference_steps=3, output_type="np"
    ).frames[0]
    assert video.shape == (9, 32, 32, 3)
    assert np.isfinite(video).all() and video.std() > 0.01
