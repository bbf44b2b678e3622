"""Shared fixtures: clips made with ffmpeg, a private stage cache per test, and media measurements."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

SOURCES = {
    "pattern": "testsrc2=s={w}x{h}:r={fps}",
    "fractal": "mandelbrot=s={w}x{h}:r={fps}",
    "life": "life=s={w}x{h}:r={fps}:mold=10:ratio=0.5:death_color=#203040:life_color=#f0c040",
    "gradient": "gradients=s={w}x{h}:r={fps}:speed=0.02:c0=#3050ff:c1=#ff8040:n=3",
}


def lavfi(path: Path, spec: str, seconds: float, *output: str) -> Path:
    """Write `seconds` of an ffmpeg lavfi source to `path`, with extra output options."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", spec, "-t", str(seconds),
         *output, str(path)],
        check=True,
    )  # fmt: skip
    return path


def make_clip(path: Path, source: str, *, size=(320, 240), seconds=3.0, fps=24) -> Path:
    """An H.264 clip of an ffmpeg test source (moving), `noisy-COLOUR` (moving) or a colour name (still)."""
    w, h = size
    if source in SOURCES:
        spec = SOURCES[source].format(w=w, h=h, fps=fps)
    elif source.startswith("noisy-"):  # a colour that moves: the colour plus fresh noise in every frame
        spec = f"color=c={source.removeprefix('noisy-')}:s={w}x{h}:r={fps},noise=alls=40:allf=t+u"
    else:  # a still colour
        spec = f"color=c={source}:s={w}x{h}:r={fps}"
    return lavfi(path, spec, seconds, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast")


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Three moving clips of different sizes and rates, made once per test session."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        "pattern": make_clip(folder / "pattern.mp4", "pattern", size=(480, 270), seconds=3, fps=24),
        "fractal": make_clip(folder / "fractal.mp4", "fractal", size=(320, 320), seconds=2, fps=25),
        "life": make_clip(folder / "life.mp4", "life", size=(240, 320), seconds=4, fps=30),
    }


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("REELFORGE_CACHE", str(cache))
    return cache


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def stream(info: dict, kind: str) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == kind)


def audio_log(path: Path, audio_filter: str, *, start: float = 0.0) -> str:
    """What ffmpeg prints while running `audio_filter` over the file's audio from `start` seconds."""
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-ss", f"{start:.3f}", "-i", str(path), "-map", "0:a",
         "-af", audio_filter, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip


def decoded(path: Path, video_filter: str, pix_fmt: str = "gray") -> bytes:
    """Every frame of the file through `video_filter`, as raw `pix_fmt` bytes."""
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-vf", video_filter,
         "-pix_fmt", pix_fmt, "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def audio_samples(path: Path, audio_filter: str, rate: int = 48_000) -> bytes:
    """The file's audio through `audio_filter`, as mono float32 samples at `rate`."""
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-af", audio_filter, "-ac", "1",
         "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def integrated_loudness(path: Path) -> float:
    """Integrated loudness (LUFS) measured by ffmpeg's ebur128 filter."""
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", audio_log(path, "ebur128"))[-1])


def true_peak(path: Path) -> float:
    """True peak (dBTP) measured by ebur128 with 4x oversampling."""
    return float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", audio_log(path, "ebur128=peak=true"))[-1])


def frame_colours(path: Path, size=(16, 16)) -> np.ndarray:
    """Mean RGB of every frame, decoded at a tiny size: shape (frames, 3)."""
    w, h = size
    raw = decoded(path, f"scale={w}:{h}", "rgb24")
    return np.frombuffer(raw, np.uint8).reshape(-1, h * w, 3).mean(axis=1)
