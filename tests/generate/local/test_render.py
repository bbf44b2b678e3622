"""End to end: a storyboard whose scenes name a tiny LTX pipeline, rendered by the real pipeline (voice,
coordinator, quality gate, editor) into a finished MP4."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from reelforge.generate.catalogue import register_generator, unregister_generator
from reelforge.generate.local.warm import RESIDENT
from reelforge.pipeline import render
from reelforge.storyboard import load_storyboard, parse_storyboard
from tests.conftest import ffprobe, frame_colours, stream
from tests.generate.local.conftest import NATIVE, tiny_info

BOARD = """
title: Tiny model
model: tiny-ltx
output: {aspect: "9:16", resolution: 240, fps: 24, quality: low}
music: {track: none}
scenes:
  - narration: Waves roll over the rocks.
    visual: waves roll over rocks under a grey sky
  - narration: The city lights come on.
    visual: city lights at night
    transition: fade
"""


@pytest.fixture
def tiny_ltx_model(models_dir):
    register_generator(tiny_info("ltx", max_seconds=8.0))
    yield
    unregister_generator("tiny-ltx")


def test_storyboard_renders_through_a_local_model(tiny_ltx_model, tmp_path):
    loads = RESIDENT.loads
    result = render(parse_storyboard(BOARD), tmp_path / "out", cache_dir=tmp_path / "cache")

    video = stream(ffprobe(result.video), "video")
    meta = json.loads(result.metadata.read_text())
    assert (video["codec_name"], video["width"], video["height"], video["r_frame_rate"]) == (
        "h264",
        240,
        426,
        "24/1",
    )
    assert int(video["nb_read_frames"]) == meta["frames"]
    assert [s["model"] for s in meta["scenes"]] == ["tiny-ltx", "tiny-ltx"]
    assert RESIDENT.loads == loads + 1  # one load served both scenes
    # both scenes move on (nearly) every frame of the finished video
    colours = frame_colours(result.video)
    for scene in meta["scenes"]:
        first, last = round(scene["start"] * 24), round(scene["end"] * 24)
        steps = abs(colours[first + 1 : last] - colours[first : last - 1]).sum(axis=1)
        assert (steps > 0.5).mean() > 0.6, f"scene {scene['index']} barely moves"


@pytest.mark.parametrize("family", ["cogvideox", "wan", "hunyuan", "cogvideox-i2v", "wan-i2v"])
def test_every_family_renders_into_a_finished_video(family, models_dir, tmp_path):
    """Each family's clip goes through the coordinator, the gate and the editor into the final MP4."""
    image_only = {"text_to_video": False, "image_to_video": True} if "i2v" in family else {}
    info = tiny_info(family, max_seconds=8.0, **image_only)
    register_generator(info)
    image = ""
    if "i2v" in family:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1",
             str(tmp_path / "start.png")],
            check=True,
        )  # fmt: skip
        image = "    image: start.png\n"
    (tmp_path / "board.yaml").write_text(
        f"""
title: Tiny {family}
model: {info.id}
output: {{aspect: "16:9", resolution: 240, fps: 24, quality: low}}
music: {{track: none}}
scenes:
  - narration: Waves roll over the rocks.
    visual: waves roll over rocks
{image}""",
        encoding="utf-8",
    )
    try:
        result = render(load_storyboard(tmp_path / "board.yaml"), tmp_path / "out", cache_dir=tmp_path / "c")
    finally:
        unregister_generator(info.id)

    video = stream(ffprobe(result.video), "video")
    meta = json.loads(result.metadata.read_text())
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 426, 240)
    assert int(video["nb_read_frames"]) == meta["frames"]
    assert meta["scenes"][0]["generation"]["model"] == info.id
    # a model slower than the video's 24 fps shows each of its frames several times: count its own frames
    changes = (abs(np.diff(frame_colours(result.video), axis=0)).sum(axis=1) > 0.5).mean()
    assert changes > 0.8 * NATIVE[family][2] / 24, f"{family} barely moves"
