"""The model catalogue: which video models exist, and the one place that maps a model id to a generator.

`footage` is the user's own clip (a scene's `clip:`); every other id names a generator.
"""

from __future__ import annotations

from reelforge.errors import ConfigError
from reelforge.generate.base import Generator
from reelforge.generate.motion import MotionGenerator

_GENERATORS: dict[str, type] = {"motion": MotionGenerator}
_LOADED: dict[str, Generator] = {}


def model_ids() -> list[str]:
    return sorted(_GENERATORS)


def register_generator(model_id: str, factory: type) -> None:
    """Make a generator selectable as `model: <model_id>` in storyboards."""
    _GENERATORS[model_id] = factory


def get_generator(model_id: str) -> Generator:
    """The generator for `model_id`, created once per process (a loaded model stays warm)."""
    if model_id not in _GENERATORS:
        raise ConfigError(f"unknown video model {model_id!r}: available models are {', '.join(model_ids())}")
    if model_id not in _LOADED:
        _LOADED[model_id] = _GENERATORS[model_id]()
    generator = _LOADED[model_id]
    ready, why = generator.available()
    if not ready:
        raise ConfigError(f"video model {model_id!r} cannot run here: {why}")
    return generator
