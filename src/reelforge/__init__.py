"""reelforge: storyboard -> clips -> voice -> one-pass edit -> finished short."""

from reelforge.errors import (
    ClipRejectedError,
    ConfigError,
    InputError,
    ReelforgeError,
    RenderError,
    StoryboardError,
)

__version__ = "0.1.0"

__all__ = [
    "ClipRejectedError",
    "ConfigError",
    "InputError",
    "ReelforgeError",
    "RenderError",
    "StoryboardError",
    "__version__",
]
