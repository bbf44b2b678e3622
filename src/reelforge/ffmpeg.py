"""Thin wrappers around the ffmpeg and ffprobe command-line tools."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from reelforge.errors import ConfigError, InputError, RenderError


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no error message"


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=False, cwd=cwd)
    except FileNotFoundError as exc:
        raise ConfigError(f"{cmd[0]} not found on PATH: install ffmpeg (e.g. apt install ffmpeg)") from exc


def run_ffmpeg(args: list[str], *, what: str, cwd: Path | None = None, loglevel: str = "error") -> str:
    """Run `ffmpeg -hide_banner -nostdin -loglevel LEVEL -y ARGS` and return its stderr.

    `what` says what was being made; on failure the RenderError reads `"{what}: {ffmpeg's last stderr line}"`.
    """
    proc = _run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", loglevel, "-y", *args], cwd)
    if proc.returncode != 0:
        raise RenderError(f"{what}: {_last_line(proc.stderr)}")
    return proc.stderr


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's JSON (`streams` and `format`) for a media file; InputError if it cannot be read."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    proc = _run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)]
    )
    if proc.returncode != 0:
        raise InputError(f"{path}: unreadable media file ({_last_line(proc.stderr)})")
    return json.loads(proc.stdout)
