"""The quality gate on real encodes made with ffmpeg: each fake kind is rejected for the right reason."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from reelforge.errors import ClipRejectedError, InputError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate import quality
from reelforge.generate.quality import accept, check, measure

SIZE = "320x240"
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "30", "-pix_fmt", "yuv420p"]

CLIPS = {
    "motion": ["-f", "lavfi", "-i", f"testsrc2=s={SIZE}:r=30:d=2"],
    "static": [
        "-f",
        "lavfi",
        "-i",
        f"testsrc=s={SIZE}:r=30,trim=end_frame=1,loop=loop=89:size=1,setpts=N/30/TB",
    ],
    "slideshow": [
        *("-f", "lavfi", "-i", f"smptebars=s={SIZE}:r=30:d=1"),
        *("-f", "lavfi", "-i", f"rgbtestsrc=s={SIZE}:r=30:d=1"),
        *("-f", "lavfi", "-i", f"yuvtestsrc=s={SIZE}:r=30:d=1"),
        *("-filter_complex", "[0][1][2]concat=n=3:v=1"),
    ],
    "black": ["-f", "lavfi", "-i", f"color=black:s={SIZE}:r=30:d=2"],
    # 1 s of motion, frame 30 held for 1.5 s (45 frames), then 1 s of motion again.
    "freeze": [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s={SIZE}:r=30:d=2,loop=loop=44:size=1:start=30,setpts=N/30/TB",
    ],
    "cut": [
        *("-f", "lavfi", "-i", f"testsrc2=s={SIZE}:r=30:d=1"),
        *("-f", "lavfi", "-i", f"mandelbrot=s={SIZE}:r=30,trim=end_frame=30"),
        *("-filter_complex", "[0][1]concat=n=2:v=1"),
    ],
    "fade_in": ["-f", "lavfi", "-i", f"testsrc2=s={SIZE}:r=30:d=2,fade=in:0:9"],
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quality")
    made = {}
    for name, inputs in CLIPS.items():
        made[name] = folder / f"{name}.mp4"
        run_ffmpeg([*inputs, *ENCODE, str(made[name])], what=f"test clip {name}")
    return made


def rejection(path: Path, *, frames: int | None = None, size: tuple[int, int] | None = None) -> str:
    with pytest.raises(ClipRejectedError) as info:
        accept(path, expected_frames=frames, expected_size=size)
    return str(info.value)


def test_real_motion_is_accepted_with_exact_numbers(clips: dict[str, Path]) -> None:
    report = accept(clips["motion"], expected_frames=60, expected_size=(320, 240))
    assert (report.width, report.height, report.frames, report.fps, report.codec) == (
        320,
        240,
        60,
        30.0,
        "h264",
    )
    assert report.duration == pytest.approx(2.0, abs=0.05)
    assert report.motion_min > quality.STATIC_SCORE
    assert 5.0 > report.motion_mean > 1.0
    assert report.static_fraction == 0.0
    assert report.longest_frozen_s < 0.2
    assert report.black_fraction == 0.0
    assert report.jumps == []


def test_a_cut_between_two_moving_shots_is_a_jump_not_a_rejection(clips: dict[str, Path]) -> None:
    report = accept(clips["cut"])
    assert report.jumps == [pytest.approx(1.0)]
    assert report.motion_max > quality.JUMP_MIN_SCORE


def test_a_short_fade_from_black_is_accepted(clips: dict[str, Path]) -> None:
    report = accept(clips["fade_in"])
    assert 0 < report.longest_black_s <= 0.2
    assert report.jumps == [], "a fade changes every frame: no single cut"


def test_static_image_is_rejected(clips: dict[str, Path]) -> None:
    report = measure(clips["static"])
    assert report.longest_frozen_s == pytest.approx(3.0, abs=0.05)
    assert report.static_fraction > 0.9
    assert report.motion_mean < quality.STATIC_SCORE
    message = rejection(clips["static"])
    assert "static" in message
    assert "static.mp4" in message


def test_slideshow_is_rejected(clips: dict[str, Path]) -> None:
    report = measure(clips["slideshow"])
    assert report.jumps == [pytest.approx(1.0), pytest.approx(2.0)]
    assert [round(b - a, 2) for a, b in report.frozen_runs] == [1.0, 1.0, 1.0]
    assert report.motion_median < quality.STATIC_SCORE
    message = rejection(clips["slideshow"])
    assert "slideshow: 3 stills" in message
    assert "2 cuts" in message


def test_black_clip_is_rejected(clips: dict[str, Path]) -> None:
    report = measure(clips["black"])
    assert report.luma_mean < 20
    assert report.black_fraction == 1.0
    assert report.longest_black_s == pytest.approx(2.0, abs=0.05)
    assert "black: 100% of frames black" in rejection(clips["black"])


def test_freeze_inside_motion_is_rejected(clips: dict[str, Path]) -> None:
    report = measure(clips["freeze"])
    assert report.frames == 104
    assert report.longest_frozen_s == pytest.approx(1.5, abs=0.07)
    start = report.frozen_runs[0][0]
    assert start == pytest.approx(1.0, abs=0.07)
    message = rejection(clips["freeze"])
    assert "frozen: picture frozen for 1.5" in message
    assert f"max {quality.FROZEN_MAX_S}s" in message


def test_truncated_clip_is_rejected_beyond_one_frame(clips: dict[str, Path]) -> None:
    assert "truncated: 60 frames decoded, expected 75" in rejection(clips["motion"], frames=75)
    assert "too long: 60 frames decoded, expected 50" in rejection(clips["motion"], frames=50)
    accept(clips["motion"], expected_frames=61)


def test_wrong_resolution_is_rejected(clips: dict[str, Path]) -> None:
    message = rejection(clips["motion"], size=(640, 360))
    assert "wrong resolution: 320x240, expected 640x360" in message


def test_every_failed_check_is_named(clips: dict[str, Path]) -> None:
    report = measure(clips["black"])
    with pytest.raises(ClipRejectedError, match=r"black: .*; truncated: .*; wrong resolution"):
        check(report, expected_frames=90, expected_size=(640, 360))


def test_unreadable_files_raise_input_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(InputError, match=r"broken\.mp4"):
        measure(broken)
    with pytest.raises(InputError, match=r"missing\.mp4"):
        measure(tmp_path / "missing.mp4")
    audio = tmp_path / "voice.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=d=1", "-c:a", "aac", str(audio)], what="audio")
    with pytest.raises(InputError, match="no video stream"):
        measure(audio)


def test_nan_output_of_a_diffusion_model_is_rejected(tmp_path: Path) -> None:
    """A pipeline that diverged returns NaN frames; converted to 8-bit the way diffusers does it
    ((x * 255).round().astype(uint8)) and encoded, the clip must not pass."""
    frames = np.full((48, 240, 320, 3), np.nan, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        pixels = (frames * 255).round().astype(np.uint8)
    out = tmp_path / "nan.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x240", "-r", "24",
         "-i", "-", *ENCODE, str(out)],
        input=pixels.tobytes(), check=True,
    )  # fmt: skip
    message = rejection(out, frames=48, size=(320, 240))
    assert message.startswith("nan.mp4 rejected: black: ") or message.startswith("nan.mp4 rejected: static: ")
