"""The quality gate: measure a clip's real motion and reject static, slideshow, black or broken clips.

Every clip from every generator goes through `accept` before the editor may use it. The clip is decoded
once and downscaled to a small grayscale picture (`ANALYSIS_WIDTH` pixels wide). Per consecutive-frame
pair the *motion score* is the mean absolute difference (0-255); per frame the mean luma (0-255, full
range). A *frozen run* (a hold) is a stretch of frames that all stay within `FROZEN_TOLERANCE` of the
stretch's first frame: comparing with the first frame, not only the previous one, keeps the periodic
keyframe "refresh" of an H.264 still from splitting a freeze, while real slow motion accumulates and
ends the hold. A diffusion model that diverged (NaN latents) writes black frames: rejected as *black*.
Thresholds, with the reasoning, are the constants below; docs/models.md lists them.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from reelforge.errors import ClipRejectedError, ConfigError, InputError
from reelforge.ffmpeg import probe

ANALYSIS_WIDTH = 64
"""Frames are analysed at this width (height keeps the aspect). Area downscaling averages away codec
noise and grain, and a 64x114 gray frame is 7 KB, so long clips measure quickly in little memory."""

CHUNK_FRAMES = 256
"""Frames read from the decoder per step; bounds memory whatever the clip's length."""

STATIC_SCORE = 0.1
"""A pair scoring below this shows no visible change. libx264 encodes of still images score 0.00-0.01
on almost every pair (P-frames repeat the picture); only the one or two pairs around each keyframe rise
(0.02-0.8), so a still measures 90-100% static pairs. A slow real drift scores 0.1 and up per pair."""

STATIC_CLIP_FRACTION = 0.85
"""A clip without cuts whose pairs are static this often, or whose longest hold covers this fraction of
its length, has almost no motion anywhere: rejected as *static*. (Frames duplicated up to 6x, as in
5 fps content in a 30 fps file, stay below it.)"""

FROZEN_TOLERANCE = 1.0
"""A frame whose score against the first frame of the current hold stays below this continues the hold.
Calibrated on libx264 stills: keyframe refreshes of photos, bars and test cards reach 0.04-0.8 against
the previous keyframe (up to 1.8 only for 1-pixel binary patterns at CRF 35+, which may then split a
freeze). Real motion passes it within a few frames: a slow Mandelbrot zoom scores 0.7-1.7 per pair,
testsrc2 1.6-2.5."""

FROZEN_MAX_S = 1.0
"""Longest hold tolerated inside a clip, counted as the time the picture is on screen. A picture held
for over a second reads as a glitch, or as a still pasted into the reel."""

FROZEN_REPORT_S = 0.25
"""Holds shorter than this are left out of `frozen_runs` (a slow clip has many short ones)."""

SLIDESHOW_HOLD_S = 0.5
"""A hold at least this long counts as a *still* for slideshow detection."""

SLIDESHOW_MIN_STILLS = 2
"""This many stills, with a cut between them or held for at least half the clip, make a slideshow
(the second condition catches stills joined by dissolves instead of cuts)."""

JUMP_MIN_SCORE = 12.0
"""A pair is a *jump* (a cut to another picture) when it scores at least this much ... Cuts between
unrelated pictures score 20-90; continuous motion at this analysis size stays under 10."""

JUMP_CONTRAST = 3.0
"""... and at least this many times both neighbouring pairs: a cut is a single spike, while a fade or
a fast pan changes the picture a lot on every frame (a 0.3 s fade from black scores ~15 per pair)."""

BLACK_LUMA = 20.0
"""A frame whose mean luma (0-255, full range) is below this (about 8% grey) is *black*: only
near-black frames count. Video black measures 0 here (limited-range 16 is expanded to 0)."""

BLACK_FRACTION_MAX = 0.5
"""A clip with a larger fraction of black frames is rejected as *black*."""

BLACK_RUN_MAX_S = 0.5
"""Longest black stretch tolerated: longer reads as a broken or missing shot; a short fade is fine."""


class ClipReport(BaseModel):
    """What `measure` found in a clip. Times are seconds from the clip's start."""

    path: Path
    width: int
    height: int
    fps: float
    duration: float
    frames: int
    """Frames actually decoded (not the container's claim)."""
    codec: str
    motion_mean: float
    motion_median: float
    motion_min: float
    motion_max: float
    static_fraction: float
    """Fraction of frame pairs scoring below `STATIC_SCORE`."""
    frozen_runs: list[tuple[float, float]]
    """Holds (see the module docstring) lasting at least `FROZEN_REPORT_S`, as (start, end)."""
    longest_frozen_s: float
    luma_mean: float
    black_fraction: float
    black_runs: list[tuple[float, float]]
    longest_black_s: float
    jumps: list[float]
    """Times at which a jump (cut) lands: the first frame of the new picture."""


def measure(path: Path) -> ClipReport:
    """Probe and decode `path` once and measure motion, frozen and black stretches and cuts."""
    path = Path(path)
    info = probe(path)
    stream = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if stream is None:
        raise InputError(f"{path}: no video stream")
    width, height = int(stream["width"]), int(stream["height"])
    raw = _analyse(path, width, height)
    if not raw.lumas:
        raise InputError(f"{path}: no decodable video frames")
    scores, lumas = raw.scores, raw.lumas
    duration = float(stream.get("duration") or info.get("format", {}).get("duration") or 0.0)
    fps = _rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate"))
    if not fps:
        fps = len(lumas) / duration if duration else 1.0
    frozen = [(a / fps, (b + 1) / fps) for a, b in raw.holds]
    blacks = [(a / fps, (b + 1) / fps) for a, b in _runs([v < BLACK_LUMA for v in lumas])]
    return ClipReport(
        path=path,
        width=width,
        height=height,
        fps=fps,
        duration=duration or len(lumas) / fps,
        frames=len(lumas),
        codec=str(stream.get("codec_name", "")),
        motion_mean=statistics.fmean(scores) if scores else 0.0,
        motion_median=statistics.median(scores) if scores else 0.0,
        motion_min=min(scores, default=0.0),
        motion_max=max(scores, default=0.0),
        static_fraction=sum(s < STATIC_SCORE for s in scores) / len(scores) if scores else 1.0,
        frozen_runs=[r for r in frozen if r[1] - r[0] >= FROZEN_REPORT_S],
        longest_frozen_s=max((b - a for a, b in frozen), default=0.0),
        luma_mean=statistics.fmean(lumas),
        black_fraction=sum(v < BLACK_LUMA for v in lumas) / len(lumas),
        black_runs=blacks,
        longest_black_s=max((b - a for a, b in blacks), default=0.0),
        jumps=[(i + 1) / fps for i in _jumps(scores)],
    )


def check(
    report: ClipReport,
    *,
    expected_frames: int | None = None,
    expected_size: tuple[int, int] | None = None,
) -> None:
    """Raise ClipRejectedError naming every failed check (the first content failure plus format ones)."""
    problems = [
        p for p in (_content_problem(report), *_format_problems(report, expected_frames, expected_size)) if p
    ]
    if problems:
        raise ClipRejectedError(f"{report.path.name} rejected: " + "; ".join(problems))


def accept(
    path: Path,
    *,
    expected_frames: int | None = None,
    expected_size: tuple[int, int] | None = None,
) -> ClipReport:
    """Measure `path` and check it; return the report of a clip that passed."""
    report = measure(path)
    check(report, expected_frames=expected_frames, expected_size=expected_size)
    return report


def _content_problem(r: ClipReport) -> str | None:
    """The most telling content failure, or None: black, then static, slideshow, frozen."""
    if r.black_fraction > BLACK_FRACTION_MAX or r.longest_black_s > BLACK_RUN_MAX_S:
        return (
            f"black: {r.black_fraction:.0%} of frames black (max {BLACK_FRACTION_MAX:.0%}), longest black "
            f"stretch {r.longest_black_s:.2f}s (max {BLACK_RUN_MAX_S}s), mean luma {r.luma_mean:.1f}"
        )
    if r.frames < 2:
        return f"static: only {r.frames} frame"
    if r.longest_frozen_s >= STATIC_CLIP_FRACTION * r.duration or (
        r.static_fraction >= STATIC_CLIP_FRACTION and not r.jumps
    ):
        return (
            f"static: {r.static_fraction:.0%} of frame pairs unchanged, mean motion {r.motion_mean:.2f} "
            f"(0-255), longest frozen {r.longest_frozen_s:.2f}s of {r.duration:.2f}s"
        )
    stills = [(a, b) for a, b in r.frozen_runs if b - a >= SLIDESHOW_HOLD_S]
    held = sum(b - a for a, b in stills)
    if len(stills) >= SLIDESHOW_MIN_STILLS and (r.jumps or held >= r.duration / 2):
        return (
            f"slideshow: {len(stills)} stills held >= {SLIDESHOW_HOLD_S}s ({held:.1f}s of {r.duration:.1f}s) "
            f"with {len(r.jumps)} cuts between them"
        )
    if r.longest_frozen_s > FROZEN_MAX_S:
        start, end = max(r.frozen_runs, key=lambda run: run[1] - run[0])
        return (
            f"frozen: picture frozen for {r.longest_frozen_s:.2f}s ({start:.2f}s-{end:.2f}s, "
            f"max {FROZEN_MAX_S}s)"
        )
    return None


def _format_problems(
    r: ClipReport, expected_frames: int | None, expected_size: tuple[int, int] | None
) -> list[str]:
    problems = []
    if expected_frames is not None and abs(r.frames - expected_frames) > 1:
        kind = "truncated" if r.frames < expected_frames else "too long"
        problems.append(f"{kind}: {r.frames} frames decoded, expected {expected_frames} (±1)")
    if expected_size is not None and (r.width, r.height) != tuple(expected_size):
        w, h = expected_size
        problems.append(f"wrong resolution: {r.width}x{r.height}, expected {w}x{h}")
    return problems


class _Analysis(BaseModel):
    """Raw per-frame measurements: pair scores, frame lumas and held stretches (first, last frame)."""

    scores: list[float] = []
    lumas: list[float] = []
    holds: list[tuple[int, int]] = []


def _analyse(path: Path, width: int, height: int) -> _Analysis:
    """Decode the clip once, in bounded memory, and measure every frame against the previous one and
    against the first frame of the current hold."""
    w = ANALYSIS_WIDTH
    h = max(2, 2 * round(w * height / width / 2))
    out = _Analysis()
    prev: np.ndarray | None = None
    anchor, anchor_index = None, 0
    for chunk in _gray_chunks(path, w, h):
        for frame in chunk.astype(np.int16):
            index = len(out.lumas)
            out.lumas.append(float(frame.mean()))
            if prev is not None:
                out.scores.append(float(np.abs(frame - prev).mean()))
            if anchor is None or np.abs(frame - anchor).mean() >= FROZEN_TOLERANCE:
                if index - anchor_index > 1:
                    out.holds.append((anchor_index, index - 1))
                anchor, anchor_index = frame, index
            prev = frame
    if len(out.lumas) - anchor_index > 1:
        out.holds.append((anchor_index, len(out.lumas) - 1))
    return out


def _gray_chunks(path: Path, w: int, h: int) -> Iterator[np.ndarray]:
    """Yield arrays of shape (n, h, w) uint8, full-range luma, from ffmpeg's raw output."""
    cmd = [
        # One decoder thread and no deblocking: at 64 pixels wide neither changes a score, and the
        # gate then decodes a clip for ~25% less CPU, which the encoders running beside it can use.
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "1",
        "-skip_loop_filter", "all", "-i", str(path),
        "-map", "0:v:0", "-fps_mode", "passthrough",
        "-vf", f"scale={w}:{h}:flags=area:out_range=full,format=gray", "-f", "rawvideo", "-",
    ]  # fmt: skip
    frame_bytes = w * h
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a flood of decode errors cannot block
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        except FileNotFoundError as exc:
            raise ConfigError("ffmpeg not found on PATH: install ffmpeg (e.g. apt install ffmpeg)") from exc
        assert proc.stdout is not None
        with proc:
            while data := proc.stdout.read(frame_bytes * CHUNK_FRAMES):
                n = len(data) // frame_bytes
                yield np.frombuffer(data[: n * frame_bytes], np.uint8).reshape(n, h, w)
        if proc.returncode != 0:
            err.seek(0)
            last = err.read().decode(errors="replace").strip().splitlines()
            raise InputError(f"{path}: cannot decode video ({last[-1] if last else 'ffmpeg failed'})")


def _jumps(scores: list[float]) -> Iterator[int]:
    """Indices of the pairs that stand out as cuts."""
    for i, score in enumerate(scores):
        neighbours = max(scores[max(i - 1, 0) : i] + scores[i + 1 : i + 2], default=0.0)
        if score >= JUMP_MIN_SCORE and score >= JUMP_CONTRAST * neighbours:
            yield i


def _rate(text: str | None) -> float:
    """'30000/1001' -> 29.97; '0/0' or missing -> 0."""
    num, _, den = (text or "0/0").partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _runs(flags: list[bool]) -> Iterator[tuple[int, int]]:
    """(first, last) indices of each run of True values."""
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            yield start, i - 1
            start = None
