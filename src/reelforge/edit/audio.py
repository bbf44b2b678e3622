"""The soundtrack, rendered once over the whole timeline: each scene's voice placed at its first frame,
music looped under it and ducked by the voice (sidechain compression), then two-pass loudness
normalisation to the target (default -14 LUFS integrated, the level YouTube, TikTok and Instagram play at).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from reelforge.errors import RenderError
from reelforge.ffmpeg import run_ffmpeg

RATE = 48_000
TRUE_PEAK = -1.5
LOUDNESS_RANGE = 11


@dataclass(frozen=True)
class VoicePart:
    wav: Path
    samples: int
    """The scene's length in samples at 48 kHz; the voice is padded with silence to it."""


def mix(
    parts: list[VoicePart], music: Path | None, music_volume: float, work: Path, target_lufs: float = -14.0
) -> dict[str, float]:
    """Write `work/audio.m4a` (AAC, stereo, 48 kHz, exactly sum(samples) long) and return loudness stats."""
    total = sum(p.samples for p in parts)
    inputs: list[str] = []
    chains: list[str] = []
    for index, part in enumerate(parts):
        inputs += ["-i", str(part.wav)]
        chains.append(
            f"[{index}:a]aresample={RATE},aformat=channel_layouts=mono,"
            f"apad=whole_len={part.samples},atrim=end_sample={part.samples}[v{index}]"
        )
    labels = "".join(f"[v{i}]" for i in range(len(parts)))
    chains.append(f"{labels}concat=n={len(parts)}:v=0:a=1,pan=stereo|c0=c0|c1=c0[voice]")
    if music is not None and music_volume > 0:
        inputs += ["-stream_loop", "-1", "-i", str(music)]
        chains += [
            "[voice]asplit[vo][key]",
            f"[{len(parts)}:a]aresample={RATE},aformat=channel_layouts=stereo,atrim=end_sample={total},"
            f"volume={music_volume:.3f}[bed]",
            "[bed][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=500[ducked]",
            "[vo][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    else:
        chains.append("[voice]anull[mix]")
    chains.append(
        f"[mix]asplit[keep][measure];[measure]loudnorm=I={target_lufs}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}"
        ":print_format=json[measured]"
    )
    mixed = work / "mix.wav"
    log = run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            ";".join(chains),
            "-map",
            "[keep]",
            "-c:a",
            "pcm_f32le",
            str(mixed),
            "-map",
            "[measured]",
            "-f",
            "null",
            "-",
        ],
        what="mixing the soundtrack",
        loglevel="info",
    )
    first = _loudnorm_json(log)
    norm = (
        f"loudnorm=I={target_lufs}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}:linear=true:print_format=json"
        f":measured_I={first['input_i']}:measured_TP={first['input_tp']}:measured_LRA={first['input_lra']}"
        f":measured_thresh={first['input_thresh']}:offset={first['target_offset']},"
        f"aresample={RATE},aformat=channel_layouts=stereo,apad=whole_len={total},atrim=end_sample={total}"
    )
    log = run_ffmpeg(
        ["-i", str(mixed), "-af", norm, "-c:a", "aac", "-b:a", "192k", str(work / "audio.m4a")],
        what="normalising loudness",
        loglevel="info",
    )
    second = _loudnorm_json(log)
    mixed.unlink()
    return {
        "input_lufs": float(first["input_i"]),
        "output_lufs": float(second["output_i"]),
        "output_true_peak": float(second["output_tp"]),
        "normalization": second["normalization_type"],
        "samples": total,
    }


def _loudnorm_json(log: str) -> dict[str, str]:
    match = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", log)
    if not match:
        raise RenderError("loudness measurement: ffmpeg's loudnorm printed no statistics")
    return json.loads(match.group(0))
