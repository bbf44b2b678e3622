"""The coordinator: a scene's model choice -> a chain of models tried in order -> one accepted clip.

Chains (the routing users of the original system expect; REELFORGE_CHAINS replaces any of them):

- `neura`: the custom server at NEURA_AI_SERVER, then HunyuanVideo -> CogVideoX-5B -> LTX-Video, each one
  local first, then hosted on Hugging Face Inference Providers (`<id>-hf`).
- an open model (`ltx-video`, `wan-2.1-t2v-1.3b-hf` ...): itself, its local/hosted twin, then the other
  open models (each local, then hosted) in catalogue order.
- premium models, `self-hosted`, `motion` and any other model: only themselves. No silent fallback to
  another provider's paid model, and `motion` is never anyone's fallback.

Each link is skipped when it cannot run here (the reason and what to set are recorded) or cannot make the
scene (too long for it, or image-to-video where it has none); otherwise it generates, and the quality gate
measures the clip. A provider error, a rejected clip or running out of memory moves on to the next link.
When no link gives a clip, one error lists every attempt, why it failed and what to set.

Limits are checked before anything is generated (`check`): a scene longer than the named model's
`max_seconds` is an error naming the scene, the model, the limit and the models that can make it. A clip
is never stretched by looping a shorter one, and never split into continuation clips behind the user's
back. A scene with a reference `image:` is routed to the model's image-to-video sibling
(`ModelInfo.image_model`) when it has no image-to-video of its own; with neither, it is an error.

Every clip is stored content-addressed under the link that made it (stage `clip-<id>`, keyed by the
link's id and the request): a re-run reuses a clip any link of the chain already made, so a job that
failed at a later scene keeps every clip it had.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from reelforge.cache import StageCache
from reelforge.config import settings
from reelforge.errors import (
    ClipRejectedError,
    ConfigError,
    InputError,
    ProviderError,
    ReelforgeError,
)
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate import quality
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo, availability, get_info, load_generator, models

log = logging.getLogger(__name__)

NEURA_FALLBACK = ("hunyuanvideo", "cogvideox-5b", "ltx-video")
"""After the Neura server, these open models in this order (each local, then hosted)."""

HOSTED_SUFFIX = "-hf"
"""An open model hosted on Hugging Face Inference Providers has its local twin's id plus this."""

CLIP_VERSION = 1
"""Bumped whenever the clip stage makes something else from the same inputs."""

Outcome = Literal["used", "reused", "skipped", "failed", "rejected"]


class Attempt(BaseModel):
    """One link of a chain: what happened and why."""

    model: str
    outcome: Outcome
    reason: str = ""
    seconds: float = 0.0


class ClipResult(BaseModel):
    """An accepted clip and what was measured on it (ffprobe and the gate, never the generator's word)."""

    path: Path
    requested: str
    """The model the scene asked for."""
    model: str
    """The model that made the clip (a link of the requested model's chain)."""
    provider: str
    seconds: float
    """Processing seconds the generator took."""
    gate_seconds: float
    width: int
    height: int
    frames: int
    fps: float
    duration: float
    seed: int
    cost: float | None
    """USD: the model's cost per second times the clip's measured duration; None when unknown."""
    thumbnail: Path
    quality: dict[str, Any]
    """The gate's ClipReport (motion, frozen and black stretches, cuts)."""
    attempts: list[Attempt]
    reused: bool = False


def parse_chains(text: str | None) -> dict[str, list[str]]:
    """REELFORGE_CHAINS (JSON object of model id -> ids to try in order), validated against the catalogue."""
    if not text:
        return {}
    try:
        chains = TypeAdapter(dict[str, list[str]]).validate_json(text)
    except ValidationError:
        raise ConfigError(
            "REELFORGE_CHAINS: must be a JSON object of model id -> list of model ids, e.g. "
            '{"neura": ["neura", "ltx-video"]}'
        ) from None
    known = models()
    for model_id, chain in chains.items():
        if not chain:
            raise ConfigError(f"REELFORGE_CHAINS: the chain for {model_id!r} is empty: list a model or more")
        for link in [model_id, *chain]:
            if link not in known:
                raise ConfigError(
                    f"REELFORGE_CHAINS: unknown model {link!r} in the chain for {model_id!r}: "
                    f"choose from {', '.join(known)}"
                )
        if model_id != "motion" and "motion" in chain:
            raise ConfigError(
                f"REELFORGE_CHAINS: `motion` in the chain for {model_id!r}: motion graphics are never a "
                "fallback for an AI model; name `motion` as a scene's model instead"
            )
    return chains


def default_chain(model_id: str) -> list[str]:
    """The built-in chain for `model_id` (see the module docstring)."""
    info = get_info(model_id)
    if model_id == "neura":
        return ["neura", *_local_then_hosted(NEURA_FALLBACK)]
    if info.category != "open":
        return [model_id]
    base = model_id.removesuffix(HOSTED_SUFFIX)  # itself first, then its local or hosted twin
    others = dict.fromkeys(
        m.removesuffix(HOSTED_SUFFIX) for m, entry in models().items() if entry.category == "open"
    )
    others.pop(base, None)
    return list(dict.fromkeys([model_id, *_local_then_hosted([base]), *_local_then_hosted(others)]))


def _local_then_hosted(ids: Any) -> list[str]:
    known = models()
    return [m for base in ids for m in (base, base + HOSTED_SUFFIX) if m in known]


class Coordinator:
    """Makes each scene's clip through its model's chain; clips are stored under the link that made them."""

    def __init__(self, cache: StageCache, chains: dict[str, list[str]] | None = None) -> None:
        self.cache = cache
        self.chains = parse_chains(settings().chains) if chains is None else chains

    def chain(self, model_id: str) -> list[str]:
        get_info(model_id)
        return list(self.chains.get(model_id) or default_chain(model_id))

    def links(self, model_id: str, request: ClipRequest) -> list[tuple[str, str | None]]:
        """The chain as it applies to this request: (model id to run, why it cannot make it or None);
        image requests are routed to image-to-video siblings, duplicates dropped."""
        seen: dict[str, str | None] = {}
        for link in self.chain(model_id):
            target, why = _route(get_info(link), request)
            if target not in seen:
                seen[target] = why
        return list(seen.items())

    def check(self, model_id: str, request: ClipRequest) -> None:
        """Before anything is generated: InputError if the named model cannot make this request at all."""
        info = get_info(model_id)
        _, why = _route(info, request)
        if why is None:
            return
        seconds = request.num_frames / request.fps
        if request.image is not None and not info.image_to_video and not info.image_model:
            able = [m for m, e in models().items() if e.image_to_video]
            raise InputError(f"{why}: remove the scene's `image:` or choose {_one_of(able)}")
        if request.image is None and not info.text_to_video:
            raise InputError(f"{why}: give the scene an `image:` or choose a text-to-video model")
        able = [m for m, e in models().items() if e.max_seconds >= seconds and e.text_to_video]
        raise InputError(
            f"{why}: split the scene into scenes of at most {info.max_seconds:g} s or choose {_one_of(able)}"
        )

    def generate(self, model_id: str, request: ClipRequest) -> ClipResult:
        """The first clip a link of the chain makes that the gate accepts; a stored one if a link has one."""
        links = self.links(model_id, request)
        for link, why in links:
            inputs = _inputs(link, request)
            if why is None and self.cache.exists(_stage(link), inputs, version=CLIP_VERSION):
                folder, stored = self.cache.run(_stage(link), inputs, _unreachable, version=CLIP_VERSION)
                return _result(folder, {**stored, "requested": model_id, "reused": True})
        attempts: list[Attempt] = []
        failures: list[type[Exception]] = []
        for link, why in links:
            if why is None:
                ready = availability(link)
                if not ready.available:
                    why = f"not available here: {_what_to_set(ready.why, ready.info.needs)}"
            if why is not None:
                attempts.append(Attempt(model=link, outcome="skipped", reason=why))
                continue
            started = time.perf_counter()
            try:
                folder, stored = self.cache.run(
                    _stage(link),
                    _inputs(link, request),
                    lambda work, link=link: _make(get_info(link), request, work, [*attempts]),
                    version=CLIP_VERSION,
                )
            except Exception as exc:  # any failure moves on: provider, rejection, out of memory, a bug
                failures.append(type(exc))
                outcome: Outcome = "rejected" if isinstance(exc, ClipRejectedError) else "failed"
                ours = isinstance(exc, ReelforgeError)  # anything else is logged with its traceback
                reason = str(exc) if ours else f"{type(exc).__name__}: {exc}"
                seconds = round(time.perf_counter() - started, 3)
                attempts.append(Attempt(model=link, outcome=outcome, reason=reason, seconds=seconds))
                log.warning("%s: %s %s: %s", model_id, link, outcome, reason, exc_info=not ours)
                continue
            return _result(folder, {**stored, "requested": model_id})
        raise _chain_error(model_id, attempts, failures)


def _route(info: ModelInfo, request: ClipRequest) -> tuple[str, str | None]:
    """(the model to run for this request, why it cannot make it or None)."""
    if request.image is not None and not info.image_to_video:
        sibling = models().get(info.image_model or "")
        if sibling is not None and sibling.image_to_video:
            return _route(sibling, request)
        return info.id, f"{info.id} cannot start from a reference image (it has no image-to-video)"
    if request.image is None and not info.text_to_video:
        return info.id, f"{info.id} is image-to-video only: it needs the scene's reference `image:`"
    seconds = request.num_frames / request.fps
    if seconds > info.max_seconds + 1 / request.fps:
        return info.id, (
            f"the scene needs {seconds:.2f} s of video but {info.id} makes at most "
            f"{info.max_seconds:g} s per clip"
        )
    return info.id, None


_SETTING = re.compile(r"`[^`]+`|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
"""A setting or command named in a model's `needs`: an ENV_VAR or a `quoted command`."""


def _what_to_set(why: str, needs: str) -> str:
    """The generator's reason, plus the catalogue's `needs` unless the reason already names all it does."""
    named = [token.strip("`") for token in _SETTING.findall(needs)]
    if named and all(token in why for token in named):
        return why
    return f"{why} (needs {needs})"


def _one_of(ids: list[str]) -> str:
    return "one of " + ", ".join(ids) if ids else "another model (see `reelforge models`)"


def _stage(link: str) -> str:
    """Clips are stored per model: `clip-<id>`."""
    return f"clip-{link}"


def _inputs(link: str, request: ClipRequest) -> dict[str, Any]:
    return {"model": link, "request": request}


def _unreachable(folder: Path) -> dict[str, Any]:
    raise AssertionError("the clip was stored a moment ago")


def _make(info: ModelInfo, request: ClipRequest, folder: Path, attempts: list[Attempt]) -> dict[str, Any]:
    """Generate with one link into `folder`, measure and gate the clip, grab its thumbnail frame."""
    out = (folder / "clip.mp4").resolve()
    started = time.perf_counter()
    made = Path(load_generator(info.id).generate(request, out)).resolve()
    seconds = time.perf_counter() - started
    if made != out:
        shutil.move(made, out)
    started = time.perf_counter()
    try:
        size = (request.width, request.height)
        report = quality.accept(out, expected_frames=request.num_frames, expected_size=size)
    except InputError as exc:
        raise ClipRejectedError(f"{info.id} wrote an unreadable clip: {exc}") from None
    gate_seconds = time.perf_counter() - started
    middle = f"{report.duration / 2:.3f}"
    run_ffmpeg(
        ["-ss", middle, "-i", str(out), "-frames:v", "1", "-q:v", "3", "-update", "1", "thumbnail.jpg"],
        what=f"{info.id} thumbnail",
        cwd=folder,
    )
    cost = None if info.cost_per_second is None else round(info.cost_per_second * report.duration, 4)
    used = Attempt(model=info.id, outcome="used", seconds=round(seconds, 3))
    return {
        "model": info.id,
        "provider": info.provider,
        "seconds": round(seconds, 3),
        "gate_seconds": round(gate_seconds, 3),
        "width": report.width,
        "height": report.height,
        "frames": report.frames,
        "fps": report.fps,
        "duration": report.duration,
        "seed": request.seed,
        "cost": cost,
        "quality": report.model_dump(mode="json", exclude={"path"}),
        "attempts": [a.model_dump() for a in [*attempts, used]],
    }


def _result(folder: Path, stored: dict[str, Any]) -> ClipResult:
    return ClipResult(path=folder / "clip.mp4", thumbnail=folder / "thumbnail.jpg", **stored)


def _chain_error(model_id: str, attempts: list[Attempt], failures: list[type[Exception]]) -> ReelforgeError:
    """One error for a chain that made no clip: every attempt, why, and what to set. Its class is the
    failures' common class (a premium model's ModerationError stays one), else ProviderError; ConfigError
    when no link could even run."""
    listed = "; ".join(f"{a.model} {a.outcome}: {a.reason}" for a in attempts)
    if not failures:
        return ConfigError(f"no model of the {model_id!r} chain can run here: {listed}")
    kinds = {cls if issubclass(cls, ReelforgeError) else ProviderError for cls in failures}
    cls = kinds.pop() if len(kinds) == 1 else ProviderError
    if len(attempts) == 1:
        return cls(f"{listed} ({model_id} has no fallback)")
    return cls(f"every model of the {model_id!r} chain failed: {listed}")
