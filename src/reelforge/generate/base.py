"""The generator interface: one `generate` method with the same arguments for every model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from reelforge.errors import ConfigError
from reelforge.voice.base import Speech

if TYPE_CHECKING:
    from reelforge.generate.catalogue import ModelInfo


class ClipRequest(BaseModel):
    """What a scene asks of a video model. Sizes and counts are exact: the editor relies on them."""

    prompt: str
    on_screen_text: str = ""
    width: int
    height: int
    fps: int
    num_frames: int
    seed: int = 0
    quality: str = "medium"
    speech: Speech | None = None
    """The scene's narration timings (seconds from the clip's start), for visuals that follow the words."""
    palette_hint: str = ""
    image: Path | None = None
    """A reference image the clip starts from (image-to-video): keeps a character the same across scenes."""


class Generator(Protocol):
    """A video model. `generate` writes an MP4 at `out` and returns the path."""

    id: str

    def available(self) -> tuple[bool, str]: ...

    def generate(self, request: ClipRequest, out: Path) -> Path: ...


class ModelGenerator:
    """What the generators built from a catalogue entry share: the entry, and refusing to start when the
    model is not available here (with `available()`'s reason)."""

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self.id = info.id

    def available(self) -> tuple[bool, str]:
        raise NotImplementedError

    def require(self) -> None:
        """ConfigError naming the model and what to set or install, when `available()` says no."""
        ready, why = self.available()
        if not ready:
            raise ConfigError(f"{self.id}: {why}")
