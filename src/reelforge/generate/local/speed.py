"""Opt-in speed-ups for a pipeline's transformer on a GPU, named in REELFORGE_SPEEDUPS (comma-separated).

- `attention`: the fastest attention kernel installed: FlashAttention-3 (`flash_attn_interface`), then
  FlashAttention-2 (`flash_attn`), then SageAttention (`sageattention`), else PyTorch's cuDNN attention.
- `compile`: torch.compile of the transformer; regional (its repeated block compiled once and reused)
  where diffusers knows the block, which compiles 8-10x faster for the same speed. The first clip of a
  new size pays the compile (tens of seconds).
- `cache`: FirstBlockCache: a step whose first block's output barely changed reuses the previous step's
  residual for the other blocks. Trades fidelity for speed (`CACHE_THRESHOLD`).

They are off by default: defaults must work everywhere, and each speed-up changes numerics or costs a
warm-up. `bench/generate_gpu.py` measures them against plain diffusers on a GPU.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from reelforge.errors import ConfigError

SPEEDUPS = ("attention", "compile", "cache")

CACHE_THRESHOLD = 0.05
"""FirstBlockCache's relative-change threshold: 0.05 is diffusers' default and ParaAttention's
"nearly lossless" setting for HunyuanVideo (1.6x there)."""

ATTENTION_KERNELS = (("flash_attn_interface", "_flash_3"), ("flash_attn", "flash"), ("sageattention", "sage"))
"""(module that provides the kernel, diffusers attention backend), best first."""


def parse(text: str | None) -> frozenset[str]:
    """The speed-ups named in a REELFORGE_SPEEDUPS value; ConfigError for an unknown name."""
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = sorted(names - set(SPEEDUPS))
    if unknown:
        raise ConfigError(
            f"REELFORGE_SPEEDUPS: unknown {', '.join(unknown)}: use any of {', '.join(SPEEDUPS)}"
        )
    return names


def attention_backend() -> str:
    """The diffusers attention backend of the fastest kernel installed here."""
    for module, backend in ATTENTION_KERNELS:
        if importlib.util.find_spec(module) is not None:
            return backend
    return "_native_cudnn"


def accelerate(pipe: Any, speedups: frozenset[str]) -> list[str]:
    """Apply `speedups` to `pipe.transformer`; returns what was applied, as `name` or `name=detail`."""
    transformer = pipe.transformer
    applied = []
    if "attention" in speedups:
        backend = attention_backend()
        transformer.set_attention_backend(backend)
        applied.append(f"attention={backend}")
    if "cache" in speedups:
        from diffusers import FirstBlockCacheConfig

        transformer.enable_cache(FirstBlockCacheConfig(threshold=CACHE_THRESHOLD))
        applied.append(f"cache=first-block:{CACHE_THRESHOLD}")
    if "compile" in speedups:
        if getattr(transformer, "_repeated_blocks", None):
            # the cache's per-step decision is a graph break: full graphs only without it
            transformer.compile_repeated_blocks(fullgraph="cache" not in speedups)
            applied.append("compile=regional")
        else:
            transformer.compile()
            applied.append("compile=whole")
    return applied
