"""What the editor needs to know about a media file, read with ffprobe."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from pydantic import BaseModel

from reelforge.errors import InputError
from reelforge.ffmpeg import probe


class VideoInfo(BaseModel):
    path: Path
    width: int
    height: int
    fps: float
    duration: float
    codec: str


def video_info(path: Path) -> VideoInfo:
    """Size, frame rate and duration of a file's first video stream; InputError if it has none."""
    data = probe(path)
    stream = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    if stream is None:
        raise InputError(f"{path}: has no video stream: give a video clip (MP4, MOV, WebM ...)")
    duration = float(stream.get("duration") or data.get("format", {}).get("duration") or 0)
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if duration <= 0 or width <= 0 or height <= 0:
        raise InputError(f"{path}: the video stream has no frames or no size: the file is damaged or empty")
    rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/1"
    fps = float(Fraction(rate)) if rate != "0/0" else 0.0
    return VideoInfo(
        path=path, width=width, height=height, fps=fps, duration=duration, codec=stream["codec_name"]
    )
