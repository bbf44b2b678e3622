"""Small video models for the coordinator's tests: each writes a REAL MP4 with ffmpeg (or fails the way a
provider or a GPU does). They are registered at runtime through `register_generator`, as a third party's
model would be, and live only in tests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import pytest

from reelforge.errors import ModerationError, ProviderError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo, register_generator, unregister_generator

ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-an"]


class _Base:
    """Counts its calls (per model id) and remembers the requests."""

    calls: ClassVar[dict[str, list[ClipRequest]]] = {}
    _lock = threading.Lock()

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self.id = info.id

    def available(self) -> tuple[bool, str]:
        return True, "test model"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        with self._lock:
            self.calls.setdefault(self.id, []).append(request)
        self.make(request, out)
        return out

    def make(self, request: ClipRequest, out: Path) -> None:
        raise NotImplementedError


class Moving(_Base):
    """testsrc2: moves on every frame; exactly the requested size, rate and frame count."""

    def make(self, request: ClipRequest, out: Path) -> None:
        source = f"testsrc2=s={request.width}x{request.height}:r={request.fps}"
        run_ffmpeg(
            ["-f", "lavfi", "-i", source, "-frames:v", str(request.num_frames), *ENCODE, str(out)], what="t"
        )


class FromImage(_Base):
    """Image-to-video: the scene's image fills the frame; a moving test pattern slides over a quarter."""

    def make(self, request: ClipRequest, out: Path) -> None:
        assert request.image is not None
        w, h = request.width, request.height
        graph = (
            f"[0]scale={w}:{h},setsar=1[bg];[1]scale={w // 2}:{h // 2}[fg];"
            f"[bg][fg]overlay=x='(W-w)*t/{request.num_frames / request.fps:.3f}':y=0,format=yuv420p"
        )
        run_ffmpeg(
            ["-loop", "1", "-framerate", str(request.fps), "-i", str(request.image), "-f", "lavfi",
             "-i", f"testsrc2=s={w}x{h}:r={request.fps}", "-filter_complex", graph,
             "-frames:v", str(request.num_frames), *ENCODE, str(out)],
            what="t",
        )  # fmt: skip


class Slideshow(_Base):
    """Three stills with hard cuts: what the gate must reject."""

    def make(self, request: ClipRequest, out: Path) -> None:
        size, third = f"{request.width}x{request.height}", request.num_frames // 3 + 1
        sources = [f"{name}=s={size}:r={request.fps}" for name in ("smptebars", "rgbtestsrc", "yuvtestsrc")]
        stills = [
            f"[{i}]trim=end_frame=1,loop=loop={third}:size=1,setpts=N/{request.fps}/TB[s{i}]"
            for i in range(3)
        ]
        graph = ";".join(stills) + ";[s0][s1][s2]concat=n=3:v=1"
        inputs = [arg for source in sources for arg in ("-f", "lavfi", "-i", source)]
        run_ffmpeg(
            [*inputs, "-filter_complex", graph, "-frames:v", str(request.num_frames), *ENCODE, str(out)],
            what="t",
        )


class Failing(_Base):
    """A provider that answers 503 (while `Failing.down` is set)."""

    down = True

    def make(self, request: ClipRequest, out: Path) -> None:
        if Failing.down:
            raise ProviderError(f"{self.id}: the server answered HTTP 503 (service unavailable)")
        Moving.make(self, request, out)


class Moderated(_Base):
    def make(self, request: ClipRequest, out: Path) -> None:
        raise ModerationError(f"{self.id}: the prompt was refused by content moderation: reword the scene")


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError."""


class OutOfMemory(_Base):
    def make(self, request: ClipRequest, out: Path) -> None:
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


class Unavailable(_Base):
    def available(self) -> tuple[bool, str]:
        return False, "T_FAKE_KEY is not set"

    def make(self, request: ClipRequest, out: Path) -> None:
        raise AssertionError("an unavailable model must not be asked to generate")


def info(model_id: str, cls: type, **fields) -> ModelInfo:
    values = {
        "name": model_id.title(), "category": "self-hosted", "provider": "test", "max_seconds": 20.0,
        "width": 320, "height": 240, "fps": 24, "needs": "T_FAKE_KEY=... and T_FAKE_URL=http://host:port",
        **fields,
    }  # fmt: skip
    return ModelInfo(id=model_id, target=f"{__name__}:{cls.__name__}", **values)


@pytest.fixture
def register():
    """register(id, cls, **fields): add a test model to the catalogue for this test only."""
    added: list[str] = []
    _Base.calls.clear()
    Failing.down = True

    def add(model_id: str, cls: type, **fields) -> ModelInfo:
        entry = info(model_id, cls, **fields)
        register_generator(entry)
        added.append(model_id)
        return entry

    yield add
    for model_id in added:
        unregister_generator(model_id)
