"""ffmpeg command lines for one scene segment: fit the clip, blend out into the next clip's first frames,
burn the captions, encode exactly `frames` frames as one closed-GOP H.264 segment.

Clips are cropped to the frame's aspect before they are scaled (fewer pixels to scale), resampled to the
video's frame rate, and looped when shorter than the scene (a loop repeats motion; nothing is frozen).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reelforge.edit.probe import VideoInfo

ENCODER_PRESETS: dict[str, tuple[str, int]] = {
    "low": ("veryfast", 28),
    "medium": ("veryfast", 23),
    "high": ("medium", 20),
    "ultra": ("slow", 18),
}
"""quality -> (x264 preset, CRF)."""

GOP_SECONDS = 4
"""Longest run between keyframes. Every segment starts on one and scenes last 3-8 s, so a browser seeks
within a few seconds; keyframes every 2 s cost ~5% more encode time for no gain a viewer sees."""


@dataclass(frozen=True)
class Encoding:
    quality: str
    fps: int
    threads: int = 0
    """The encode's share of the cores: x264's threads, and those of the segment's decoders and filter
    graph. Left to themselves, each decoder starts a thread per core and holds a frame per thread, in
    every one of the encodes that run at once (17 encodes on 16 cores would start ~600 decoder threads);
    x264 does most of the work, so capping the rest costs nothing measurable (2 cores, 3 encodes: 19.96 s
    against 19.89 s, 5 interleaved runs each). 0 lets each choose (the machine to itself)."""

    def decoder_args(self) -> list[str]:
        """Given before each input."""
        return ["-threads", str(self.threads)] if self.threads else []

    def graph_args(self) -> list[str]:
        return ["-filter_complex_threads", str(self.threads)] if self.threads else []

    def args(self) -> list[str]:
        preset, crf = ENCODER_PRESETS[self.quality]
        return [
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-profile:v", "high", "-g", str(GOP_SECONDS * self.fps), "-threads", str(self.threads),
            "-x264-params", "open-gop=0", "-video_track_timescale", str(self.fps * 512),
        ]  # fmt: skip


@dataclass(frozen=True)
class ClipUse:
    """`frames` frames of a clip starting at `offset` seconds of it, played in a loop if it is too short."""

    info: VideoInfo
    offset: float
    frames: int

    def input_args(self, fps: int) -> list[str]:
        needed = self.offset + self.frames / fps
        args = ["-stream_loop", "-1"] if needed > self.info.duration + 1e-3 else []
        start = self.offset % self.info.duration
        if start > 0:
            args += ["-ss", f"{start:.6f}"]
        # Read no further than needed (a frame more for rounding): filters after the fit never see the rest.
        return [*args, "-t", f"{(self.frames + 1) / fps:.6f}", "-i", str(self.info.path)]


def fit_filter(info: VideoInfo, size: tuple[int, int], mode: str, tag: str = "f") -> str:
    """Filters that make a clip fill `size`: `crop` to fill, or `blur` (fit over a blurred fill of itself).

    `tag` keeps the blur branch's link labels unique within one graph."""
    width, height = size
    if mode == "blur":
        scale = min(width / info.width, height / info.height)
        fg_w, fg_h = _even(info.width * scale), _even(info.height * scale)
        small = f"{_even(width / 8)}:{_even(height / 8)}"
        back = f"{_crop_to(info, size)}scale={small},boxblur=6:2,scale={width}:{height}"
        return (
            f"split=2[{tag}fg][{tag}bg];[{tag}bg]{back}[{tag}bgb];[{tag}fg]scale={fg_w}:{fg_h}[{tag}fgs];"
            f"[{tag}bgb][{tag}fgs]overlay=(W-w)/2:(H-h)/2,setsar=1"
        )
    if (info.width, info.height) == size:
        return "setsar=1"
    return f"{_crop_to(info, size)}scale={width}:{height}:flags=bicubic,setsar=1"


def _crop_to(info: VideoInfo, size: tuple[int, int]) -> str:
    aspect = size[0] / size[1]
    if abs(info.width / info.height - aspect) < 1e-3:
        return ""
    if info.width / info.height > aspect:
        return f"crop={_even(info.height * aspect)}:{info.height},"
    return f"crop={info.width}:{_even(info.width / aspect)},"


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _fitted(use: ClipUse, size: tuple[int, int], mode: str, fps: int, tag: str) -> str:
    """Resample to `fps`, keep `use.frames` frames, fit to `size`. A clip slower than `fps` is fitted
    before its frames are repeated, so repeated frames cost no scaling; a faster one is thinned first."""
    timing = f"fps={fps},trim=end_frame={use.frames},setpts=PTS-STARTPTS"
    fitting = fit_filter(use.info, size, mode, tag)
    steps = (fitting, timing) if use.info.fps < fps else (timing, fitting)
    return ",".join([*steps, "format=yuv420p"])


def segment_args(
    *,
    clip: ClipUse,
    following: ClipUse | None,
    transition: str,
    size: tuple[int, int],
    fit: tuple[str, str],
    captions: str | None,
    encoding: Encoding,
    out: Path,
) -> list[str]:
    """ffmpeg arguments for one scene's segment: `clip.frames` frames of its clip, whose last
    `following.frames` blend (by `transition`) into the first frames of the next scene's clip.
    `following` is None for a cut. `fit` is the fit mode of (clip, following); `captions` names an ASS
    file in ffmpeg's working folder."""
    fps = encoding.fps
    inputs = [*encoding.decoder_args(), *clip.input_args(fps)]
    chains = [f"[0:v]{_fitted(clip, size, fit[0], fps, 'c')}[cur]"]
    last = "cur"
    if following is not None:
        inputs += [*encoding.decoder_args(), *following.input_args(fps)]
        chains.append(f"[1:v]{_fitted(following, size, fit[1], fps, 'n')}[next]")
        # xfade only sees the frames it blends: in ffmpeg 5.1 a frame it passes through costs about as
        # much as one it blends, so the untouched head goes round it and is joined back after.
        head, seconds = clip.frames - following.frames, following.frames / fps
        chains += [
            f"[cur]split[h][t];[h]trim=end_frame={head}[head];[t]trim=start_frame={head},setpts=PTS-STARTPTS[tail]",
            f"[tail][next]xfade=transition={transition}:duration={seconds:.6f}:offset=0[blend]",
            "[head][blend]concat=n=2:v=1:a=0[mixed]",
        ]
        last = "mixed"
    if captions:
        chains.append(f"[{last}]ass=filename={captions}[burned]")
        last = "burned"
    # No +faststart: only the join reads a segment, and it writes the video's own index up front.
    return [
        *inputs, *encoding.graph_args(), "-filter_complex", ";".join(chains), "-map", f"[{last}]",
        "-frames:v", str(clip.frames), "-an", *encoding.args(), str(out),
    ]  # fmt: skip
