"""Whole renders through the coordinator, the quality gate and the editor with hosted models on fakes."""

from __future__ import annotations

import json

import pytest

from reelforge.pipeline import render
from reelforge.storyboard import parse_storyboard
from tests.conftest import ffprobe, stream
from tests.fakes.runway import FakeRunway
from tests.fakes.video_server import FakeVideoServer

BOARD = """title: Lighthouses
output: {aspect: '9:16', resolution: 240, fps: 24, quality: low}
music: {track: none}
scenes:
  - {narration: A lighthouse stands on the rock., visual: a lighthouse at dusk, model: MODEL}
"""


@pytest.fixture(autouse=True)
def offline_hub(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("REELFORGE_CHAINS", raising=False)


def test_a_runway_clip_goes_through_the_gate_into_the_video(tmp_path, monkeypatch):
    with FakeRunway() as fake:
        monkeypatch.setenv("RUNWAYML_API_SECRET", fake.api_key)
        monkeypatch.setenv("RUNWAYML_BASE_URL", fake.url)
        result = render(parse_storyboard(BOARD.replace("MODEL", "runway-gen4.5")), tmp_path / "out")
        [create] = fake.received("POST", "/v1/text_to_video")
    made = json.loads(result.metadata.read_text())["scenes"][0]["generation"]
    assert (made["model"], made["provider"], made["width"], made["height"], made["fps"]) == (
        "runway-gen4.5", "runway", 240, 426, 24
    )  # fmt: skip
    assert create.json["ratio"] == "720:1280" and create.json["duration"] >= made["duration"]
    assert [a["outcome"] for a in made["attempts"]] == ["used"]
    video = stream(ffprobe(result.video), "video")
    assert (video["width"], video["height"]) == (240, 426)


def test_neura_uses_the_custom_server_first(tmp_path, monkeypatch):
    with FakeVideoServer(token="tok-neura-1") as server:
        monkeypatch.setenv("NEURA_AI_SERVER", server.url)
        monkeypatch.setenv("NEURA_AI_TOKEN", "tok-neura-1")
        result = render(parse_storyboard(BOARD.replace("MODEL", "neura")), tmp_path / "out")
        [post] = server.received("POST", "/v1/generate")
    made = json.loads(result.metadata.read_text())["scenes"][0]["generation"]
    assert (made["model"], made["frames"]) == ("neura", post.json["num_frames"])
    assert (post.json["width"], post.json["height"], post.json["fps"]) == (240, 426, 24)
