"""The offline `motion` model: exact clips that move on every frame and pass the quality gate."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from reelforge.errors import InputError, RenderError
from reelforge.ffmpeg import probe
from reelforge.generate import motion, quality
from reelforge.generate.base import ClipRequest
from reelforge.generate.motion import MotionGenerator, headline
from reelforge.voice.base import Speech, Word

PORTRAIT = ClipRequest(prompt="sunset over the desert dunes", width=360, height=640, fps=30, num_frames=60)


def make(tmp_path: Path, name: str, request: ClipRequest) -> Path:
    out = MotionGenerator().generate(request, tmp_path / f"{name}.mp4")
    assert out == (tmp_path / f"{name}.mp4").resolve()
    return out


def video_stream(path: Path) -> dict:
    info = probe(path)
    assert [s["codec_type"] for s in info["streams"]] == ["video"], "no audio, one video stream"
    return info["streams"][0]


def frame_hashes(path: Path) -> list[str]:
    text = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.rsplit(",", 1)[1].strip() for line in text.splitlines() if not line.startswith("#")]


def mean_rgb(path: Path) -> np.ndarray:
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-vf",
            "scale=1:1:flags=area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 3).mean(axis=0)


def test_available_with_ffmpeg() -> None:
    ok, reason = MotionGenerator().available()
    assert ok, reason
    assert MotionGenerator.id == "motion"


def test_portrait_clip_is_exact_moves_every_frame_and_passes_the_gate(tmp_path: Path) -> None:
    out = make(tmp_path, "portrait", PORTRAIT)
    stream = video_stream(out)
    assert (stream["codec_name"], stream["pix_fmt"]) == ("h264", "yuv420p")
    assert (stream["width"], stream["height"], stream["avg_frame_rate"]) == (360, 640, "30/1")
    assert int(stream["nb_frames"]) == 60
    report = quality.accept(out, expected_frames=60, expected_size=(360, 640))
    assert report.frames == 60
    assert report.motion_min > 0
    assert report.motion_min > quality.STATIC_SCORE
    assert report.longest_frozen_s < 0.25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portrait.mp4"], "no partial file left behind"


def test_landscape_clip_at_24_fps(tmp_path: Path) -> None:
    request = ClipRequest(
        prompt="city skyline timelapse", width=640, height=360, fps=24, num_frames=48, seed=3
    )
    out = make(tmp_path, "landscape", request)
    stream = video_stream(out)
    assert (stream["width"], stream["height"], stream["avg_frame_rate"], int(stream["nb_frames"])) == (
        640,
        360,
        "24/1",
        48,
    )
    report = quality.accept(out, expected_frames=48, expected_size=(640, 360))
    assert report.motion_min > quality.STATIC_SCORE


def test_different_prompts_look_different(tmp_path: Path) -> None:
    warm = mean_rgb(make(tmp_path, "warm", PORTRAIT))
    cold = mean_rgb(make(tmp_path, "cold", PORTRAIT.model_copy(update={"prompt": "deep ocean at night"})))
    assert np.abs(warm - cold).max() > 20, (warm, cold)


def test_same_request_gives_the_same_frames(tmp_path: Path) -> None:
    first = frame_hashes(make(tmp_path, "first", PORTRAIT))
    second = frame_hashes(make(tmp_path, "second", PORTRAIT))
    assert len(first) == 60
    assert first == second
    reseeded = frame_hashes(make(tmp_path, "reseeded", PORTRAIT.model_copy(update={"seed": 1})))
    assert reseeded != first


def test_arabic_text_and_spoken_words_render(tmp_path: Path) -> None:
    words = [Word(text="مرحبا", start=0.2, end=0.6), Word(text="بالعالم", start=0.6, end=1.2)]
    speech = Speech(
        wav=tmp_path / "v.wav", duration=1.5, sample_rate=24000, words=words, language="ar", voice="x"
    )
    request = PORTRAIT.model_copy(update={"on_screen_text": "مرحبا بالعالم", "speech": speech})
    out = make(tmp_path, "arabic", request)
    quality.accept(out, expected_frames=60, expected_size=(360, 640))


def test_headline() -> None:
    prompt = "A drone shot of a lighthouse on a rocky coast at sunset, cinematic 4K"
    assert headline(prompt) == "Lighthouse Rocky Coast Sunset"
    assert (
        headline("why the ocean is salty and the rivers are not, explained")
        == "Why Ocean Salty Rivers Explained"
    )


def test_odd_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be even"):
        MotionGenerator().generate(PORTRAIT.model_copy(update={"width": 361}), tmp_path / "odd.mp4")


def test_ffmpeg_failure_is_a_render_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(motion, "PRESET", "no-such-preset")
    with pytest.raises(RenderError, match=r"^motion broken\.mp4: .*[Ee]rror"):
        make(tmp_path, "broken", PORTRAIT)
    assert list(tmp_path.iterdir()) == []


def test_palette_hint_colours_are_used(tmp_path: Path) -> None:
    request = PORTRAIT.model_copy(update={"palette_hint": "brand colours #00ff00 and #008800"})
    red, green, blue = mean_rgb(make(tmp_path, "green", request))
    assert green > 2 * max(red, blue)


def test_speed_at_1080x1920(tmp_path: Path) -> None:
    """Reports the speed factor (seconds of video per second of rendering); timing is not asserted."""
    request = PORTRAIT.model_copy(update={"width": 1080, "height": 1920, "num_frames": 90})
    started = time.perf_counter()
    out = make(tmp_path, "full_hd", request)
    elapsed = time.perf_counter() - started
    print(f"\nmotion 1080x1920 3 s: {elapsed:.2f} s, {3 / elapsed:.1f}x realtime")
    quality.accept(out, expected_frames=90, expected_size=(1080, 1920))
