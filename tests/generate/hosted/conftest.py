"""Shared set-up for the hosted-provider tests: fast polling, small timeouts, a reference image, probing."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reelforge.errors import ProviderError
from reelforge.generate.base import ClipRequest
from tests.conftest import ffprobe, stream

POLL = 0.02
"""Seconds between status checks in tests (the fakes answer at once)."""


@pytest.fixture(autouse=True)
def fast_provider_settings(monkeypatch) -> None:
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", str(POLL))
    monkeypatch.setenv("REELFORGE_PROVIDER_TIMEOUT", "20")
    monkeypatch.setenv("REELFORGE_REQUEST_TIMEOUT", "5")
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "2")


@pytest.fixture(scope="session")
def reference_image(tmp_path_factory) -> Path:
    """A small PNG to start image-to-video from."""
    path = tmp_path_factory.mktemp("image") / "hero.png"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=64x48",
         "-frames:v", "1", str(path)],
        check=True,
    )  # fmt: skip
    return path


def clip_request(**changes) -> ClipRequest:
    values = dict(prompt="a paper boat drifting down a rainy street", width=96, height=64, fps=24,
                  num_frames=12, seed=7)  # fmt: skip
    return ClipRequest(**{**values, **changes})


def measured(path: Path) -> tuple[int, int, int]:
    """(width, height, decoded frame count) of the file's video stream, by ffprobe."""
    video = stream(ffprobe(path), "video")
    return video["width"], video["height"], int(video["nb_read_frames"])


@contextmanager
def gives_up_quickly(
    monkeypatch, timeout: str = "0.3", match: str = "did not finish in time"
) -> Iterator[None]:
    """With REELFORGE_PROVIDER_TIMEOUT=`timeout`, the block must raise its ProviderError within 1.5 s."""
    monkeypatch.setenv("REELFORGE_PROVIDER_TIMEOUT", timeout)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=match):
        yield
    assert time.monotonic() - started < 1.5
