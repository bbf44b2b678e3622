"""The model catalogue: which video models exist, and the one place that maps a model id to a generator.

`footage` is the user's own clip (a scene's `clip:`); every other id names a generator.
"""

from __future__ import annotations

import importlib

from reelforge.errors import ConfigError
from reelforge.generate.base import Generator

_GENERATORS: dict[str, str] = {"motion": "reelforge.generate.motion:MotionGenerator"}
"""model id -> "module:class"; imported on first use, so a model's heavy dependencies load only when used."""
_LOADED: dict[str, Generator] = {}


def model_ids() -> list[str]:
    return sorted(_GENERATORS)


def register_generator(model_id: str, target: str) -> None:
    """Make the generator class at `target` ("module:class") selectable as `model: <model_id>`."""
    _GENERATORS[model_id] = target


def load_generator(model_id: str) -> Generator:
    """The generator for `model_id`, created once per process (a loaded model stays warm), ready or not."""
    if model_id not in _GENERATORS:
        raise ConfigError(f"unknown video model {model_id!r}: available models are {', '.join(model_ids())}")
    if model_id not in _LOADED:
        module, _, name = _GENERATORS[model_id].partition(":")
        _LOADED[model_id] = getattr(importlib.import_module(module), name)()
    return _LOADED[model_id]


def get_generator(model_id: str) -> Generator:
    """The generator for `model_id`; ConfigError saying what is missing if it cannot run here."""
    generator = load_generator(model_id)
    ready, why = generator.available()
    if not ready:
        raise ConfigError(f"video model {model_id!r} cannot run here: {why}")
    return generator
