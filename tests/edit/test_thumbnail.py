"""Thumbnail frame choice: the sharpest well-exposed candidate, every candidate read by one ffmpeg."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from reelforge.edit import thumbnail
from reelforge.errors import RenderError


def _clip(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
         "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("thumb")
    return {
        "black": _clip(folder, "black", "color=c=black:s=320x240:r=24"),
        "grey": _clip(folder, "grey", "color=c=0x808080:s=320x240:r=24"),
        "pattern": _clip(folder, "pattern", "testsrc2=s=320x240:r=24"),
        "fractal": _clip(folder, "fractal", "mandelbrot=s=320x240:r=24"),
    }


def _alone(path: Path, at: float) -> np.ndarray:
    """One candidate's frame read on its own, to check the stacked read against."""
    side = 256
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
         "-vf", f"scale={side}:{side},format=gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(out, np.uint8).reshape(side, side)


def test_the_sharpest_exposed_frame_wins(clips):
    candidates = [
        (clips["black"], 1.0),
        (clips["pattern"], 1.0),
        (clips["grey"], 0.5),
        (clips["fractal"], 1.0),
    ]
    index, score = thumbnail.best_frame(candidates)
    scores = [thumbnail.frame_score(_alone(path, at)) for path, at in candidates]
    assert scores[0] == 0 and scores[2] == 0  # black is too dark; flat grey has no detail
    assert index == int(np.argmax(scores)) and index in (1, 3)
    assert score == pytest.approx(scores[index], rel=1e-6)


def test_each_candidate_is_read_at_its_own_time(clips):
    """The stacked read returns the frames in candidate order, each at its own time."""
    candidates = [(clips["pattern"], 0.2), (clips["pattern"], 1.5), (clips["fractal"], 0.7)]
    frames = thumbnail._gray_frames(candidates)
    for frame, (path, at) in zip(frames, candidates, strict=True):
        assert np.array_equal(frame, _alone(path, at))
    assert not np.array_equal(frames[0], frames[1])


def test_one_candidate(clips):
    assert thumbnail.best_frame([(clips["fractal"], 1.0)])[0] == 0


def test_no_usable_frame_is_a_clear_error(clips):
    with pytest.raises(RenderError, match="all 2 candidate frames are black, blank or overexposed"):
        thumbnail.best_frame([(clips["black"], 1.0), (clips["grey"], 1.0)])
