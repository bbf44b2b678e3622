"""The thumbnail: the sharpest well-exposed clip frame among candidates (taken from the clips, so no
burned captions), fitted to the video's frame, with the title drawn over it by libass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pysubs2

from reelforge.edit.captions import ass_colour
from reelforge.edit.scripts import caption_font
from reelforge.errors import RenderError
from reelforge.ffmpeg import run_ffmpeg

_PROBE_SIDE = 256
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


def _gray_frames(candidates: list[tuple[Path, float]]) -> list[np.ndarray]:
    """Each candidate's frame as a small grayscale picture, all read by one ffmpeg (one process start
    instead of one per candidate); all black when a frame cannot be read."""
    side, count = _PROBE_SIDE, len(candidates)
    inputs: list[str] = []
    for path, at in candidates:
        inputs += ["-threads", "1", "-ss", f"{at:.3f}", "-i", str(path)]
    chains = [f"[{i}:v]scale={side}:{side},format=gray[g{i}]" for i in range(count)]
    stack = "".join(f"[g{i}]" for i in range(count))
    chains.append(f"{stack}vstack=inputs={count}[all]" if count > 1 else "[g0]null[all]")
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", *inputs,
         "-filter_complex", ";".join(chains), "-map", "[all]", "-frames:v", "1", "-f", "rawvideo", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0 or len(proc.stdout) != count * side * side:
        return [np.zeros((side, side), np.uint8)] * count
    return list(np.frombuffer(proc.stdout, np.uint8).reshape(count, side, side))


def best_frame(candidates: list[tuple[Path, float]]) -> tuple[int, float]:
    """(index, score) of the best (file, time) candidate; RenderError when every one is black or blank."""
    scored = [(frame_score(gray), index) for index, gray in enumerate(_gray_frames(candidates))]
    score, index = max(scored)
    if score <= 0:
        raise RenderError(
            f"thumbnail: all {len(candidates)} candidate frames are black, blank or overexposed"
        )
    return index, score


def _title_ass(title: str, size: tuple[int, int], colour: str) -> str:
    width, height = size
    font, scale = caption_font(title, "Noto Sans")
    doc = pysubs2.SSAFile()
    doc.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0"})
    font_size = round(min(width, height) * 0.12 * scale)
    doc.styles["Title"] = pysubs2.SSAStyle(
        fontname=font,
        fontsize=font_size,
        bold=True,
        primarycolor=ass_colour(colour),
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


def write_thumbnail(
    source: Path, at: float, fit: str, title: str, size: tuple[int, int], out: Path, colour: str = "#FFFFFF"
) -> None:
    """Write a JPEG of `source`'s frame at `at` seconds, fitted to `size` by the filters `fit`, with the
    title in `colour` (#RRGGBB)."""
    (out.parent / "title.ass").write_text(_title_ass(title, size, colour), encoding="utf-8")
    try:
        graph = f"[0:v]{fit},ass=filename=title.ass[v]"
        run_ffmpeg(
            ["-ss", f"{at:.3f}", "-i", str(source.resolve()), "-frames:v", "1",
             "-filter_complex", graph, "-map", "[v]", "-q:v", "2", out.name],
            what="thumbnail", cwd=out.parent,
        )  # fmt: skip
    finally:
        (out.parent / "title.ass").unlink(missing_ok=True)
