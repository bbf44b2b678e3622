"""WAV files for the voice engines: write PCM atomically, decode an engine's MP3/Ogg, read and measure."""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from reelforge.errors import ProviderError, RenderError
from reelforge.ffmpeg import run_ffmpeg


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write mono samples (float in [-1, 1], or int16) as 16-bit PCM, atomically (temp file, then rename)."""
    if samples.dtype.kind == "f":
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle, wave.open(handle, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(samples.astype("<i2").tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def decode_to_wav(audio: bytes, path: Path, *, what: str) -> None:
    """Decode an engine's audio (MP3, Ogg, WAV ...) to 16-bit mono PCM WAV at its own sample rate."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, source = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".in", dir=path.parent)
    tmp = path.with_name(f".{path.name}.decoded.wav")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(audio)
        try:
            run_ffmpeg(["-i", source, "-map", "0:a:0", "-ac", "1", "-c:a", "pcm_s16le", str(tmp)], what=what)
        except RenderError as exc:  # the engine sent something that is not audio
            raise ProviderError(f"{what}: the answer is not playable audio ({exc})") from exc
        os.replace(tmp, path)
    finally:
        Path(source).unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(mono float samples in [-1, 1], sample rate) of a 16-bit PCM WAV file."""
    with wave.open(str(path)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        channels, rate = wav.getnchannels(), wav.getframerate()
    return frames.reshape(-1, channels).mean(axis=1) / 32768.0, rate
