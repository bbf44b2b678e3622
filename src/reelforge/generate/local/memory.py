"""Choose how a pipeline uses the device's memory, and apply that choice.

On the CPU everything runs in float32 with no offloading (diffusers' portable default). On a GPU the
weights run in bfloat16 and the offload level follows the free VRAM measured just before loading:

| free VRAM                                   | offload      | what stays on the GPU                      |
|---------------------------------------------|--------------|--------------------------------------------|
| >= all weights + working memory             | `none`       | the whole pipeline                         |
| >= largest component + working memory       | `model`      | one component at a time (text encoder, ...)|
| >= working memory + `GROUP_MIN_BYTES`       | `group`      | a few layers at a time, streamed           |
| less                                        | `sequential` | one layer at a time (slowest)              |

The VAE decodes in tiles whenever anything is offloaded. `REELFORGE_OFFLOAD` overrides the choice. After
an out-of-memory error the generator retries once with `more_offload(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Offload = Literal["none", "model", "group", "sequential"]
OFFLOAD_ORDER: tuple[Offload, ...] = ("none", "model", "group", "sequential")

GIB = 1 << 30

WORKING_FRACTION = 0.25
"""Activations, latents and the VAE decode, as a fraction of the weights on top of them."""

WORKING_MIN_BYTES = 4 * GIB
"""At least this much beyond the resident weights: a 720p VAE decode alone takes several GiB."""

GROUP_MIN_BYTES = 2 * GIB
"""Group offloading keeps a few blocks plus their prefetched neighbours resident."""


@dataclass(frozen=True)
class MemoryPlan:
    """How a pipeline is placed: device, dtype name, offload level, VAE tiling."""

    device: str
    dtype: Literal["float32", "bfloat16"]
    offload: Offload
    vae_tiling: bool

    def describe(self) -> str:
        return f"{self.device} {self.dtype} offload={self.offload} vae_tiling={self.vae_tiling}"


def choose_plan(
    device: str, free_bytes: int | None, component_bytes: dict[str, int], override: str = "auto"
) -> MemoryPlan:
    """The plan for a pipeline whose weights (bytes on disk per component) are `component_bytes`,
    given the device's free memory (None on the CPU) and the `REELFORGE_OFFLOAD` setting."""
    if not device.startswith("cuda"):
        return MemoryPlan(device, "float32", "none", vae_tiling=False)
    if override != "auto":
        offload: Offload = override  # type: ignore[assignment]
    else:
        offload = _offload_for(free_bytes or 0, component_bytes)
    return MemoryPlan(device, "bfloat16", offload, vae_tiling=offload != "none")


def more_offload(plan: MemoryPlan) -> MemoryPlan | None:
    """The next, more frugal plan after an out-of-memory error, or None when already at the most (or on
    the CPU, where nothing can be offloaded)."""
    if not plan.device.startswith("cuda"):
        return None
    index = OFFLOAD_ORDER.index(plan.offload)
    if index + 1 == len(OFFLOAD_ORDER):
        return None if plan.vae_tiling else replace(plan, vae_tiling=True)
    return replace(plan, offload=OFFLOAD_ORDER[index + 1], vae_tiling=True)


def working_bytes(component_bytes: dict[str, int]) -> int:
    return max(WORKING_MIN_BYTES, int(WORKING_FRACTION * sum(component_bytes.values())))


def _offload_for(free: int, component_bytes: dict[str, int]) -> Offload:
    total = sum(component_bytes.values())
    working = working_bytes(component_bytes)
    if free >= total + working:
        return "none"
    if free >= max(component_bytes.values(), default=0) + working:
        return "model"
    if free >= working + GROUP_MIN_BYTES:
        return "group"
    return "sequential"


def free_bytes(device: str) -> int | None:
    """Free memory on a CUDA device right now; None for the CPU."""
    if not device.startswith("cuda"):
        return None
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return int(free)


def torch_dtype(plan: MemoryPlan) -> Any:
    import torch

    return getattr(torch, plan.dtype)


def apply_plan(pipe: Any, plan: MemoryPlan) -> Any:
    """Place `pipe` as `plan` says; returns the pipeline."""
    if plan.offload == "none":
        pipe.to(plan.device)
    elif plan.offload == "model":
        pipe.enable_model_cpu_offload(device=plan.device)
    elif plan.offload == "group":
        pipe.enable_group_offload(
            onload_device=plan.device, offload_device="cpu", offload_type="leaf_level", use_stream=True
        )
    else:
        pipe.enable_sequential_cpu_offload(device=plan.device)
    vae = getattr(pipe, "vae", None)
    if plan.vae_tiling and vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def release(device: str) -> None:
    """Return freed GPU memory to the driver (after dropping a pipeline)."""
    import gc

    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()
