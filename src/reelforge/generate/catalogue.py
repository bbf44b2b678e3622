"""What a video model is, as the catalogue lists it: the CLI (`reelforge models`), the API and the dashboard
all read these entries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Category = Literal["custom", "premium", "open", "self-hosted", "offline"]
"""custom: the user's own "Neura" server; premium: paid APIs; open: free/open weights (local or hosted);
self-hosted: a server of the user's running our HTTP contract; offline: reelforge's own motion graphics."""


class ModelInfo(BaseModel):
    """One selectable video model; `target` is its generator class ("module:Class"), built as Class(info)."""

    id: str
    name: str
    category: Category
    provider: str
    target: str
    max_seconds: float
    width: int
    height: int
    fps: int
    cost_per_second: float | None = None
    """USD per second of video where the provider publishes it; None when free or unknown."""
    image_to_video: bool = False
    needs: str
    """What the user must set or install for this model to run: an env var, a download command, a URL."""
