"""`model: neura` through the real catalogue and the real Neura client, against the video-server protocol's
reference implementation (tests/fakes/video_server.py): a finished render when the server works, and one
error naming every link and what to set when it fails and nothing else is configured here."""

from __future__ import annotations

import json

import pytest

from reelforge.errors import ProviderError
from reelforge.generate.coordinator import default_chain
from reelforge.pipeline import render
from reelforge.storyboard import parse_storyboard
from tests.conftest import ffprobe, stream
from tests.fakes.video_server import FakeVideoServer

BOARD = """
title: Paper boats
model: neura
output: {aspect: "9:16", resolution: 240, fps: 24, quality: low}
music: {track: none}
scenes:
  - narration: A paper boat sails down the street.
    visual: a paper boat drifting down a rainy street
"""


@pytest.fixture(autouse=True)
def nothing_else_configured(monkeypatch, tmp_path) -> None:
    """No HF token, no weights, no hub; fast polling of the fake server."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("REELFORGE_MODELS_DIR", str(tmp_path / "no-models"))
    for name in ("HF_TOKEN", "NEURA_AI_TOKEN", "REELFORGE_CHAINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.02")
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "0")


def test_neura_server_makes_the_clip(monkeypatch, tmp_path) -> None:
    with FakeVideoServer() as server:
        monkeypatch.setenv("NEURA_AI_SERVER", server.url)
        result = render(parse_storyboard(BOARD), tmp_path / "out")
        [post] = server.received("POST", "/v1/generate")
    meta = json.loads(result.metadata.read_text())
    made = meta["scenes"][0]["generation"]
    assert (made["model"], made["requested"], made["provider"]) == ("neura", "neura", "neura")
    assert [(a["model"], a["outcome"]) for a in made["attempts"]] == [("neura", "used")]
    assert (made["width"], made["height"], made["frames"]) == (240, 426, post.json["num_frames"])
    assert post.json["prompt"] == "a paper boat drifting down a rainy street"
    video = stream(ffprobe(result.video), "video")
    assert (video["width"], video["height"], int(video["nb_read_frames"])) == (240, 426, meta["frames"])


def test_a_failing_neura_server_and_no_fallback_here_is_one_clear_error(monkeypatch, tmp_path) -> None:
    error = {"code": "internal", "message": "GPU worker crashed"}
    with FakeVideoServer(error=error) as server:
        monkeypatch.setenv("NEURA_AI_SERVER", server.url)
        with pytest.raises(ProviderError) as info:
            render(parse_storyboard(BOARD), tmp_path / "out")
    message = str(info.value)
    assert message.startswith("scenes[0] (neura): every model of the 'neura' chain failed: neura failed: ")
    assert "GPU worker crashed" in message
    for link in default_chain("neura")[1:]:
        assert f"; {link} skipped: not available here: " in message, link
    if "hunyuanvideo" in default_chain("neura"):
        assert "hf download hunyuanvideo-community/HunyuanVideo" in message, "the exact weights to fetch"
    if "ltx-video-hf" in default_chain("neura"):
        assert "HF_TOKEN" in message
    assert "\n" not in message
    assert list((tmp_path / "out").iterdir()) == []
