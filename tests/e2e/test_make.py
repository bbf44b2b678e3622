"""`reelforge make`, the motion model end to end, captions in other scripts, the demo storyboard, doctor."""

from __future__ import annotations

import json

import numpy as np
import pysubs2

from reelforge.cli import EXAMPLE
from reelforge.generate import quality
from reelforge.pipeline import render
from reelforge.storyboard import load_storyboard, parse_storyboard
from tests.conftest import decoded, ffprobe, frame_colours, stream
from tests.e2e.test_cli_errors import run_cli


def test_make_from_a_script_with_the_motion_model(tmp_path):
    script = (
        "Octopuses have three hearts. Two pump blood to the gills, one to the body. "
        "Their blood is blue, because it carries copper instead of iron."
    )
    out = tmp_path / "out"
    proc = run_cli(
        "make",
        "--script",
        script,
        "--aspect",
        "1:1",
        "--resolution",
        "240",
        "--quality",
        "low",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["resolution"] == "240x240" and len(meta["scenes"]) >= 2
    assert {s["model"] for s in meta["scenes"]} == {"motion"}
    assert all(3.0 <= s["speech_seconds"] <= 8.5 for s in meta["scenes"])
    video = stream(ffprobe(out / "video.mp4"), "video")
    assert (video["width"], video["height"]) == (240, 240)
    # The motion model's scenes keep moving: no picture is held for even a quarter of a second (a single
    # repeated frame can come from x264 skipping every block of a low-quality, low-resolution frame).
    report = quality.measure(out / "video.mp4")
    assert report.longest_frozen_s < 0.25 and report.static_fraction < 0.02
    assert str(out / "video.mp4") in proc.stderr


def test_arabic_captions_are_burned_inside_the_caption_area(tmp_path):
    text = """
title: الأنهار
model: motion
output: {aspect: "9:16", resolution: 360, quality: low}
voice: {language: ar}
music: {track: none}
captions: {enabled: %s}
scenes:
  - narration: تبدأ كل الأنهار بقطرة مطر واحدة.
    on_screen_text: قطرة واحدة
"""
    with_captions = render(parse_storyboard(text % "true"), tmp_path / "on")
    without = render(parse_storyboard(text % "false"), tmp_path / "off")
    assert without.stages["clip-motion"] == {"ran": 0, "reused": 1}  # the same clip under both
    cues = pysubs2.load(str(with_captions.srt))
    assert cues[0].text.startswith("تبدأ")
    on = frame_colours(with_captions.video, size=(36, 64))
    off = frame_colours(without.video, size=(36, 64))
    assert on.shape == off.shape
    # Compare the frames row by row: captions change the band above the bottom 22%, nothing else.
    rows_on = _row_means(with_captions.video)
    rows_off = _row_means(without.video)
    diff = np.abs(rows_on - rows_off).mean(axis=0)  # per row, over all frames
    band = slice(round(64 * 0.62), round(64 * 0.78))
    assert diff[band].max() > 8, diff
    assert diff[: round(64 * 0.55)].max() < 2.5, diff


def _row_means(path):
    raw = decoded(path, "scale=36:64")
    return np.frombuffer(raw, np.uint8).reshape(-1, 64, 36).astype(float).mean(axis=2)


def test_the_bundled_demo_is_valid():
    board = load_storyboard(EXAMPLE)
    assert board.output.size == (1080, 1920) and len(board.scenes) >= 3
    assert all(board.model_for(s) == "motion" for s in board.scenes)


def test_doctor_reports_what_is_here(tmp_path):
    proc = run_cli("doctor", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for needle in (
        "ffmpeg filter ass",
        "voice espeak",
        "espeak-ng 1.51",
        "model motion",
        "HF_TOKEN",
        "not set",
    ):
        assert needle in proc.stdout


class Unready:
    """A generator that cannot run here (as a local model without weights would be)."""

    id = "unready"

    def __init__(self, info) -> None:
        self.info = info

    def available(self) -> tuple[bool, str]:
        return False, "weights not found: run huggingface-cli download ..."


def test_doctor_lists_a_model_that_cannot_run_instead_of_failing():
    from reelforge.doctor import checks
    from reelforge.generate.catalogue import ModelInfo, register_generator, unregister_generator

    register_generator(
        ModelInfo(id="unready", name="Unready", category="open", provider="test", max_seconds=5, width=64,
                  height=64, fps=8, needs="weights", target="tests.e2e.test_make:Unready")
    )  # fmt: skip
    try:
        found = {c.name: c for c in checks()}
    finally:
        unregister_generator("unready")
    assert not found["model unready"].ok and "weights not found" in found["model unready"].detail
    assert found["model motion"].ok
