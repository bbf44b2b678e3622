"""A pipeline's frames -> the H.264 MP4 the request asked for, after checking they are a picture at all.

The model renders at its native size and frame rate (what it was trained on); the clip it hands over has
the request's exact size, rate and frame count, as every generator's does (the editor relies on it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from reelforge.errors import ClipRejectedError, ConfigError, ProviderError, RenderError

BLACK_LEVEL = 8
"""A frame whose brightest 8-bit value is at most this shows nothing: a VAE that decoded zeros."""

CRF = 16
"""libx264 quality of the intermediate clip: visually lossless, the editor re-encodes it anyway."""


def to_uint8(frames: np.ndarray, model: str) -> np.ndarray:
    """Float frames in [0, 1] (frames, height, width, 3) -> uint8 RGB; ProviderError on NaN or infinity,
    ClipRejectedError when every frame is black."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ProviderError(f"{model}: unexpected frame array of shape {frames.shape}, expected (F, H, W, 3)")
    if not np.isfinite(frames).all():
        raise ProviderError(
            f"{model} produced NaN frames (numerical overflow): try REELFORGE_OFFLOAD=model, fewer steps, "
            "or another quality level"
        )
    pixels = (np.clip(frames, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    if int(pixels.max()) <= BLACK_LEVEL:
        raise ClipRejectedError(f"{model} produced an all-black clip: try another seed or prompt")
    return pixels


def write_mp4(
    pixels: np.ndarray, fps: int, out: Path, *, size: tuple[int, int], rate: int, count: int
) -> Path:
    """Encode uint8 RGB frames (frames, height, width, 3) made at `fps` as an H.264 yuv420p clip of exactly
    `count` frames of `size` at `rate`: scaled to cover the size and centre-cropped, retimed by
    repeating or dropping frames (never blending), the last frame held if the model's clip ran short."""
    _, height, width, _ = pixels.shape
    out_w, out_h = size
    graph = (
        f"scale={out_w}:{out_h}:force_original_aspect_ratio=increase:flags=lanczos,crop={out_w}:{out_h},"
        f"setsar=1,fps={rate},tpad=stop=-1:stop_mode=clone,format=yuv420p"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
        "-vf", graph, "-frames:v", str(count), "-c:v", "libx264", "-preset", "veryfast", "-crf", str(CRF),
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, input=np.ascontiguousarray(pixels).tobytes(), capture_output=True)
    except FileNotFoundError as exc:
        raise ConfigError("ffmpeg not found on PATH: install ffmpeg (e.g. apt install ffmpeg)") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RenderError(f"encoding {out.name}: {lines[-1] if lines else 'ffmpeg failed'}")
    return out
