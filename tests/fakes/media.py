"""Real MP4 bytes for the provider fakes to serve: a moving ffmpeg test pattern."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path


@cache
def moving_mp4(width: int = 160, height: int = 96, frames: int = 12, fps: int = 24) -> bytes:
    """An H.264 MP4 of `frames` frames of testsrc2 (every frame differs), made once per size."""
    with tempfile.TemporaryDirectory(prefix="fake-media-") as tmp:
        out = Path(tmp) / "clip.mp4"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"testsrc2=s={width}x{height}:r={fps}", "-frames:v", str(frames),
             "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart",
             str(out)],
            check=True,
        )  # fmt: skip
        return out.read_bytes()
