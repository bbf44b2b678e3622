"""Renders through the coordinator: a chain's fallback in the finished video's metadata, clips kept when a
later scene fails, limits checked before any clip is generated, and a scene's reference image."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reelforge.errors import InputError, ProviderError
from reelforge.pipeline import render
from reelforge.storyboard import load_storyboard, parse_storyboard
from tests.conftest import ffprobe, stream
from tests.generate import generators
from tests.generate.generators import Failing, FromImage, Moving

register = generators.register

OUTPUT = "output: {aspect: '9:16', resolution: 240, fps: 24, quality: low}\nmusic: {track: none}\n"


def board(*scenes: str) -> str:
    return "title: Lighthouses\n" + OUTPUT + "scenes:\n" + "".join(f"  - {s}\n" for s in scenes)


@pytest.fixture(autouse=True)
def offline(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("REELFORGE_CHAINS", raising=False)


def test_a_render_through_a_chain_records_what_made_each_clip(register, monkeypatch, tmp_path) -> None:
    register("t-down", Failing, category="open")
    register("t-moving", Moving, category="open", cost_per_second=0.02, provider="test-cloud")
    monkeypatch.setenv("REELFORGE_CHAINS", '{"t-down": ["t-down", "t-moving"]}')
    text = board(
        "{narration: A lighthouse stands on the rock., visual: a lighthouse at dusk, model: t-down}",
        "{narration: Its light turns all night., model: motion}",
    )
    result = render(parse_storyboard(text), tmp_path / "out")
    meta = json.loads(result.metadata.read_text())
    first, second = meta["scenes"]
    made = first["generation"]
    assert (first["model"], made["model"], made["requested"], made["provider"]) == (
        "t-down",
        "t-moving",
        "t-down",
        "test-cloud",
    )
    assert [(a["model"], a["outcome"]) for a in made["attempts"]] == [
        ("t-down", "failed"),
        ("t-moving", "used"),
    ]
    assert "HTTP 503" in made["attempts"][0]["reason"]
    request = Moving.calls["t-moving"][0]
    assert (made["width"], made["height"], made["fps"], made["frames"]) == (
        240,
        426,
        24.0,
        request.num_frames,
    )
    assert made["cost"] == pytest.approx(0.02 * request.num_frames / 24, abs=1e-4)
    assert request.prompt == "a lighthouse at dusk"
    assert second["generation"]["model"] == "motion" and second["generation"]["cost"] == 0.0
    video = stream(ffprobe(result.video), "video")
    assert (video["width"], video["height"], int(video["nb_read_frames"])) == (240, 426, meta["frames"])


def test_clips_already_made_are_kept_when_a_later_scene_fails(register, tmp_path) -> None:
    register("t-moving", Moving)
    register("t-flaky", Failing)
    text = board(
        "{narration: The keeper climbs the stairs., model: t-moving}",
        "{narration: He lights the lamp., model: t-flaky}",
    )
    with pytest.raises(ProviderError) as info:
        render(parse_storyboard(text), tmp_path / "out")
    assert str(info.value) == (
        "scenes[1] (t-flaky): t-flaky failed: t-flaky: the server answered HTTP 503 (service unavailable) "
        "(t-flaky has no fallback)"
    )
    assert list((tmp_path / "out").iterdir()) == [], "no file that looks like a result"
    assert len(Moving.calls["t-moving"]) == 1

    Failing.down = False  # the server is back
    result = render(parse_storyboard(text), tmp_path / "out")
    assert len(Moving.calls["t-moving"]) == 1, "scene 0's clip was reused, not generated again"
    assert len(Moving.calls["t-flaky"]) == 2
    meta = json.loads(result.metadata.read_text())
    assert (meta["stages"]["clip-t-moving"], meta["stages"]["clip-t-flaky"]) == (
        {"ran": 0, "reused": 1},
        {"ran": 1, "reused": 0},
    )
    assert meta["scenes"][0]["generation"]["reused"] is True
    assert meta["scenes"][1]["generation"]["attempts"] == [
        {"model": "t-flaky", "outcome": "used", "reason": "", "seconds": pytest.approx(0, abs=5)}
    ]


def test_limits_are_checked_before_any_clip_is_generated(register, tmp_path) -> None:
    register("t-moving", Moving, max_seconds=30)
    register("t-short", Moving, max_seconds=1.0)
    text = board(
        "{narration: The first scene is fine., model: t-moving}",
        "{narration: This second scene says far more than one second of words., model: t-short}",
    )
    with pytest.raises(InputError) as info:
        render(parse_storyboard(text), tmp_path / "out")
    message = str(info.value)
    assert message.startswith("scenes[1] (t-short): the scene needs ")
    assert "t-short makes at most 1 s per clip: split the scene into scenes of at most 1 s" in message
    assert Moving.calls == {}, "nothing was generated for scene 0 either"


@pytest.fixture
def storyboard_with_image(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "refs").mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=#2040d0:s=200x300", "-frames:v", "1",
         str(folder / "refs" / "keeper.png")],
        check=True,
    )  # fmt: skip
    path = folder / "board.yaml"
    path.write_text(board("{narration: The keeper waves., model: t-text, image: refs/keeper.png}"))
    return path


def test_a_scene_image_reaches_the_image_to_video_model(register, storyboard_with_image, tmp_path) -> None:
    register("t-text", Moving, image_model="t-i2v")
    register("t-i2v", FromImage, image_to_video=True, text_to_video=False)
    loaded = load_storyboard(storyboard_with_image)
    assert loaded.scenes[0].image == storyboard_with_image.parent / "refs" / "keeper.png"
    result = render(loaded, tmp_path / "out")
    made = json.loads(result.metadata.read_text())["scenes"][0]["generation"]
    assert (made["requested"], made["model"]) == ("t-text", "t-i2v")
    assert Moving.calls["t-i2v"][0].image == loaded.scenes[0].image


def test_a_missing_scene_image_is_an_input_error(register, storyboard_with_image, tmp_path) -> None:
    register("t-text", Moving, image_model="t-i2v")
    register("t-i2v", FromImage, image_to_video=True, text_to_video=False)
    (storyboard_with_image.parent / "refs" / "keeper.png").unlink()
    with pytest.raises(InputError, match=r"scenes\[0\] \(t-text\): image: .*keeper\.png: no such image file"):
        render(load_storyboard(storyboard_with_image), tmp_path / "out")
