"""The thumbnail: the sharpest well-exposed frame among candidates, with the title drawn over it by libass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pysubs2

from reelforge.edit.scripts import caption_font
from reelforge.errors import RenderError
from reelforge.ffmpeg import run_ffmpeg

_PROBE_WIDTH = 270
_DARKEST_MEAN = 35.0
"""Frames whose mean luma (0-255) is below this are too dark to sell the video."""


def frame_score(gray: np.ndarray) -> float:
    """Sharpness (variance of the Laplacian) of a grayscale frame; 0 if it is too dark or too bright."""
    mean = float(gray.mean())
    if mean < _DARKEST_MEAN or mean > 235:
        return 0.0
    g = gray.astype(np.float32)
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def _gray_frame(video: Path, at: float, size: tuple[int, int]) -> np.ndarray:
    height = round(_PROBE_WIDTH * size[1] / size[0] / 2) * 2
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-ss",
            f"{at:.3f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-vf",
            f"scale={_PROBE_WIDTH}:{height},format=gray",
            "-f",
            "rawvideo",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0 or len(proc.stdout) != _PROBE_WIDTH * height:
        return np.zeros((height, _PROBE_WIDTH), np.uint8)
    return np.frombuffer(proc.stdout, np.uint8).reshape(height, _PROBE_WIDTH)


def best_frame_time(video: Path, candidates: list[float], size: tuple[int, int]) -> tuple[float, float]:
    """(time, score) of the best candidate frame; RenderError when every candidate is black or blank."""
    scored = [(frame_score(_gray_frame(video, t, size)), t) for t in candidates]
    score, at = max(scored)
    if score <= 0:
        raise RenderError(
            f"thumbnail: all {len(candidates)} candidate frames are black, blank or overexposed"
        )
    return at, score


def _title_ass(title: str, size: tuple[int, int]) -> str:
    width, height = size
    font, scale = caption_font(title, "Noto Sans")
    doc = pysubs2.SSAFile()
    doc.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0"})
    font_size = round(min(width, height) * 0.1 * scale)
    doc.styles["Title"] = pysubs2.SSAStyle(
        fontname=font,
        fontsize=font_size,
        bold=True,
        primarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(0, 0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 90),
        outline=font_size * 0.09,
        shadow=font_size * 0.05,
        alignment=pysubs2.Alignment.TOP_CENTER,
        marginl=round(width * 0.07),
        marginr=round(width * 0.07),
        marginv=round(height * 0.14),
    )
    text = title.replace("{", "(").replace("}", ")")
    doc.events.append(pysubs2.SSAEvent(start=0, end=3_600_000, text=text, style="Title"))
    return doc.to_string("ass")


def write_thumbnail(video: Path, at: float, title: str, size: tuple[int, int], out: Path) -> None:
    """Write a JPEG of the frame at `at` seconds with `title` overlaid."""
    (out.parent / "title.ass").write_text(_title_ass(title, size), encoding="utf-8")
    try:
        run_ffmpeg(
            [
                "-ss",
                f"{at:.3f}",
                "-i",
                str(video.resolve()),
                "-frames:v",
                "1",
                "-vf",
                "ass=filename=title.ass",
                "-q:v",
                "2",
                out.name,
            ],
            what="thumbnail",
            cwd=out.parent,
        )
    finally:
        (out.parent / "title.ass").unlink(missing_ok=True)
