"""What every local diffusers model shares: quality presets, clip planning, warm loading and the run.

A family module (ltx.py, cogvideox.py, ...) subclasses `DiffusersGenerator` with its pipeline classes,
hub repos, presets and the few call arguments only it takes. `generate` then:
1. finds the weights (local folder or HF cache, never the network) and takes the device's lock;
2. reuses the resident pipeline or loads one placed by `memory.choose_plan`;
3. plans the clip at the model's native sizes (`plan_clip`) and runs the pipeline;
4. on out-of-memory drops the pipeline, reloads it with more offloading and tries once more;
5. checks the frames (no NaN, not black) and encodes them at the request's size, rate and frame count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from reelforge.config import settings
from reelforge.errors import ConfigError, InputError, ProviderError
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local import frames, loading, memory, speed
from reelforge.generate.local.warm import RESIDENT

QUALITIES = ("low", "medium", "high", "ultra")


@dataclass(frozen=True)
class Preset:
    """One quality level: frame sides as a fraction of the model's catalogue size, steps, guidance."""

    scale: float
    steps: int
    guidance: float


@dataclass(frozen=True)
class ClipPlan:
    """The exact call: frame size, frame count and rate, steps and guidance."""

    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float


def plan_clip(
    info: ModelInfo,
    preset: Preset,
    request: ClipRequest,
    *,
    spatial: int,
    temporal: int,
    free_aspect: bool,
    portrait: bool,
    steps: int | None = None,
) -> ClipPlan:
    """Size and length of the clip a model makes for `request`.

    Size: near the requested aspect within the model's native sizes: any aspect at the catalogue
    size's area (`free_aspect`), else the catalogue size, or its portrait twin when `portrait` and
    closer. Sides are multiples of `spatial`. Length: the requested duration at the model's fps,
    capped at `info.max_seconds`, rounded up to `temporal * k + 1` frames (what the VAE compresses); the
    cap allows one frame over `max_seconds * fps` (49 frames are CogVideoX's 6 s at 8 fps)."""
    aspect = request.width / request.height
    base_w, base_h = info.width * preset.scale, info.height * preset.scale
    if free_aspect:
        area = base_w * base_h
        width, height = math.sqrt(area * aspect), math.sqrt(area / aspect)
    else:
        sizes = [(base_w, base_h), (base_h, base_w)] if portrait else [(base_w, base_h)]
        width, height = min(sizes, key=lambda s: abs(math.log(s[0] / s[1] / aspect)))
    seconds = min(request.num_frames / request.fps, info.max_seconds)
    most = max(1, math.floor(info.max_seconds * info.fps / temporal))
    chunks = min(most, max(1, math.ceil((seconds * info.fps - 1) / temporal)))
    return ClipPlan(
        width=_snap(width, spatial),
        height=_snap(height, spatial),
        num_frames=temporal * chunks + 1,
        fps=info.fps,
        steps=steps or preset.steps,
        guidance=preset.guidance,
    )


@dataclass
class Loaded:
    """A resident pipeline, the plan it was placed with, and its image-to-video twin once made."""

    pipe: Any
    plan: memory.MemoryPlan
    image_pipe: Any = None


class DiffusersGenerator(ModelGenerator):
    """A local video model run through a diffusers pipeline; subclasses fill in the class variables."""

    pipeline: ClassVar[str]
    """diffusers class for text-to-video (or the only class, for image-only checkpoints)."""
    image_pipeline: ClassVar[str | None] = None
    """diffusers class for image-to-video built from the same weights, when the checkpoint has one."""
    image_only: ClassVar[bool] = False
    """The checkpoint only animates a reference image (an I2V model)."""
    repos: ClassVar[dict[str, str]]
    """model id -> Hugging Face repo."""
    presets: ClassVar[dict[str, Preset]]
    free_aspect: ClassVar[bool] = False
    portrait: ClassVar[bool] = False
    negative_prompt: ClassVar[str | None] = None
    packages: ClassVar[tuple[str, ...]] = ()
    """Python packages this family needs beyond torch, diffusers and transformers."""
    float32_components: ClassVar[tuple[str, ...]] = ()
    """Components kept in float32 on a GPU too (a VAE that loses detail in bfloat16)."""

    @property
    def repo(self) -> str | None:
        return self.repos.get(self.id)

    def available(self) -> tuple[bool, str]:
        missing = loading.missing_packages(self.packages)
        if missing:
            return False, f"{', '.join(missing)} missing: {loading.INSTALL_HINT}"
        try:
            folder = loading.find_weights(self.id, self.repo)
        except ConfigError as exc:
            return False, str(exc)
        return True, f"weights at {folder}"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        image = self._image(request)
        if loading.missing_packages(self.packages):
            raise ConfigError(f"video model {self.id!r} cannot run: {loading.INSTALL_HINT}")
        folder = loading.find_weights(self.id, self.repo)
        device, key = _device(), str(folder)
        with RESIDENT.device(device):
            resident = RESIDENT.peek(device, key)
            weights = loading.weight_bytes(folder)
            need = sum(weights.values()) + memory.working_bytes(weights)
            plan = (
                resident.plan
                if resident
                else memory.choose_plan(device, memory.free_bytes(device), weights, settings().offload)
            )
            result = self._attempt(folder, plan, need, request, image)
            if result is None:  # out of memory: free everything, then once more with more offloading
                RESIDENT.drop(device, key)
                leaner = memory.more_offload(plan)
                result = self._attempt(folder, leaner, need, request, image) if leaner else None
                if result is None:
                    RESIDENT.drop(device, key)
                    tried = (
                        f"also with offload={leaner.offload}" if leaner else "with nothing left to offload"
                    )
                    raise ProviderError(
                        f"{self.id}: out of memory ({plan.describe()}, quality {request.quality}, "
                        f"{request.num_frames / request.fps:.1f}s), {tried}: try quality low, "
                        "a shorter scene, REELFORGE_OFFLOAD=sequential, or a smaller model"
                    )
        clip, video = result
        pixels = frames.to_uint8(video, self.id)
        size = (request.width, request.height)
        return frames.write_mp4(pixels, clip.fps, out, size=size, rate=request.fps, count=request.num_frames)

    def grid(self, pipe: Any) -> tuple[int, int]:
        """(spatial, temporal) multiples the pipeline needs: frame sides and frame count minus one."""
        raise NotImplementedError

    def call_arguments(self, pipe: Any, plan: ClipPlan, request: ClipRequest) -> dict[str, Any]:
        """Arguments only this family takes (frame rate, text length, negative prompt ...)."""
        return {}

    def _attempt(
        self, folder: Path, plan: memory.MemoryPlan, need: int, request: ClipRequest, image: Any
    ) -> tuple[ClipPlan, Any] | None:
        """Load (or reuse) the pipeline placed by `plan` and run it once; None if out of memory.
        `need` is the memory the pipeline takes when fully resident (for evicting others)."""
        try:
            loaded = RESIDENT.get(plan.device, str(folder), lambda: self._load(folder, plan), need)
            pipe = loaded.pipe
            if image is not None and not self.image_only:
                if loaded.image_pipe is None:
                    import diffusers

                    loaded.image_pipe = getattr(diffusers, self.image_pipeline).from_pipe(loaded.pipe)
                pipe = loaded.image_pipe
            spatial, temporal = self.grid(pipe)
            clip = plan_clip(
                self.info,
                self.presets[request.quality],
                request,
                spatial=spatial,
                temporal=temporal,
                free_aspect=self.free_aspect,
                portrait=self.portrait,
                steps=settings().steps,
            )
            return clip, self._run(pipe, clip, request, image)
        except Exception as exc:
            if memory.is_out_of_memory(exc):
                return None
            raise

    def _load(self, folder: Path, plan: memory.MemoryPlan) -> Loaded:
        speedups = speed.parse(settings().speedups) if plan.device.startswith("cuda") else frozenset()
        dtype = memory.torch_dtype(plan)
        if self.float32_components and plan.dtype != "float32":
            import torch

            dtype = {"default": dtype, **dict.fromkeys(self.float32_components, torch.float32)}
        pipe = memory.apply_plan(loading.load_pipeline(self.pipeline, folder, dtype), plan)
        speed.accelerate(pipe, speedups)
        return Loaded(pipe, plan)

    def _run(self, pipe: Any, clip: ClipPlan, request: ClipRequest, image: Any) -> Any:
        import numpy as np
        import torch

        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "height": clip.height,
            "width": clip.width,
            "num_frames": clip.num_frames,
            "num_inference_steps": clip.steps,
            "guidance_scale": clip.guidance,
            "generator": torch.Generator("cpu").manual_seed(request.seed),
            "output_type": "np",
            **self.call_arguments(pipe, clip, request),
        }
        if self.negative_prompt is not None:
            arguments["negative_prompt"] = self.negative_prompt
        if image is not None:
            arguments["image"] = image
        with torch.inference_mode():
            video = np.asarray(pipe(**arguments).frames[0], dtype=np.float32)
        if video.shape[0] != clip.num_frames:
            raise ProviderError(f"{self.id}: made {video.shape[0]} frames, {clip.num_frames} were planned")
        return video

    def _image(self, request: ClipRequest) -> Any:
        """The request's reference image as RGB PIL, checked against what this model can take."""
        if request.quality not in self.presets:
            raise InputError(f"quality {request.quality!r} unknown: use one of {', '.join(QUALITIES)}")
        if request.image is None:
            if self.image_only:
                raise InputError(f"{self.id} animates a reference image: give the scene an `image:`")
            return None
        if self.image_pipeline is None and not self.image_only:
            raise InputError(
                f"{self.id} is text-to-video only: remove the scene's image or pick an image-to-video model"
            )
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(request.image) as picture:
                return picture.convert("RGB")
        except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
            raise InputError(f"{request.image}: not a readable image ({type(exc).__name__})") from None


def _device() -> str:
    chosen = settings().device
    if chosen:
        return chosen
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _snap(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)
