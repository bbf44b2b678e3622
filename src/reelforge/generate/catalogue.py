"""The model catalogue: every selectable video model, what it needs, and whether it can run right now.

The CLI (`reelforge models`), doctor, the API and the dashboard all read it. Each generator module in
`GENERATOR_MODULES` exports `MODELS: list[ModelInfo]` (its top level stays light: no SDK or torch import);
third parties add theirs at runtime with `register_generator`. A module that is absent or fails to import
is skipped and its reason reported (`skipped_modules`), so one broken provider never hides the others.
"""

from __future__ import annotations

import importlib
import logging
import threading
from functools import cache
from typing import Literal

from pydantic import BaseModel

from reelforge.errors import ConfigError
from reelforge.generate.base import Generator

log = logging.getLogger(__name__)

Category = Literal["custom", "premium", "open", "self-hosted", "offline"]
"""custom: the user's own "Neura" server; premium: paid APIs; open: free/open weights (local or hosted);
self-hosted: a server of the user's running our HTTP contract; offline: reelforge's own motion graphics."""

GENERATOR_MODULES = (
    "reelforge.generate.motion",
    "reelforge.generate.local.ltx",
    "reelforge.generate.local.cogvideox",
    "reelforge.generate.local.hunyuan",
    "reelforge.generate.local.wan",
    "reelforge.generate.server_protocol",
    "reelforge.generate.hosted.runway",
    "reelforge.generate.hosted.luma",
    "reelforge.generate.hosted.veo",
    "reelforge.generate.hosted.hf_providers",
)
"""The one list of generator modules; their MODELS make the catalogue, in this order."""


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
    """Whether it can start from a scene's reference `image:`."""
    text_to_video: bool = True
    """False for image-to-video-only models: a scene without `image:` cannot use them."""
    image_model: str | None = None
    """The id of this model's image-to-video sibling, used instead when a scene gives an `image:`."""
    needs: str
    """What the user must set or install for this model to run: an env var, a download command, a URL."""


class Availability(BaseModel):
    """A catalogue entry with whether it can run here now and, if not, why."""

    info: ModelInfo
    available: bool
    why: str


_REGISTERED: dict[str, ModelInfo] = {}
_LOADED: dict[str, Generator] = {}
_lock = threading.Lock()


@cache
def _module_models() -> tuple[dict[str, ModelInfo], dict[str, str]]:
    """(id -> ModelInfo from GENERATOR_MODULES, module -> why it was skipped), read once per process."""
    models: dict[str, ModelInfo] = {}
    skipped: dict[str, str] = {}
    for name in GENERATOR_MODULES:
        try:
            entries = importlib.import_module(name).MODELS
        except ModuleNotFoundError as exc:
            missing = "not in this release" if exc.name == name else f"needs the {exc.name!r} package"
            skipped[name] = f"{missing} ({exc})"
            continue
        except Exception as exc:  # a broken provider module must not hide the others
            log.warning("model module %s failed to import", name, exc_info=True)
            skipped[name] = f"failed to import: {type(exc).__name__}: {exc}"
            continue
        for info in entries:
            if info.id in models:
                skipped[name] = f"model id {info.id!r} already defined by {models[info.id].target}"
                continue
            models[info.id] = info
    return models, skipped


def models() -> dict[str, ModelInfo]:
    """Every model id -> its entry: the generator modules' MODELS, then those registered at runtime."""
    return {**_module_models()[0], **_REGISTERED}


def skipped_modules() -> dict[str, str]:
    """Generator modules whose models are missing from the catalogue, with the reason."""
    return dict(_module_models()[1])


def model_ids() -> list[str]:
    return list(models())


def register_generator(info: ModelInfo) -> None:
    """Make a generator selectable as `model: <info.id>` (a third party's model, or a replacement)."""
    with _lock:
        _REGISTERED[info.id] = info
        _LOADED.pop(info.id, None)


def unregister_generator(model_id: str) -> None:
    """Undo `register_generator` (the module's own entry for that id, if any, is back)."""
    with _lock:
        _REGISTERED.pop(model_id, None)
        _LOADED.pop(model_id, None)


def get_info(model_id: str) -> ModelInfo:
    """The entry for `model_id`; ConfigError listing the known ids when there is none."""
    entries = models()
    if model_id not in entries:
        raise ConfigError(
            f"unknown video model {model_id!r}: choose one of {', '.join(entries)} (see `reelforge models`)"
        )
    return entries[model_id]


def load_generator(model_id: str) -> Generator:
    """The generator for `model_id`, created once per process (a loaded model stays warm), ready or not."""
    info = get_info(model_id)
    with _lock:
        if model_id not in _LOADED:
            module, _, name = info.target.partition(":")
            try:
                cls = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"video model {model_id!r}: cannot load {info.target} ({exc})") from None
            _LOADED[model_id] = cls(info)
        return _LOADED[model_id]


def availability(model_id: str) -> Availability:
    """Whether `model_id` can run here right now and, if not, what to set or install."""
    info = get_info(model_id)
    try:
        ready, why = load_generator(model_id).available()
    except ConfigError as exc:
        ready, why = False, str(exc)
    return Availability(info=info, available=ready, why=why)


def listing() -> list[Availability]:
    """The whole catalogue with each model's availability now, in catalogue order."""
    return [availability(model_id) for model_id in models()]
