"""The memory plan chosen from free VRAM, and the out-of-memory path: free, retry leaner once, then a
clear error."""

from __future__ import annotations

import pytest
import torch

from reelforge.errors import ProviderError
from reelforge.generate.base import ClipRequest
from reelforge.generate.local import ltx, memory, wan
from reelforge.generate.local.memory import GIB, MemoryPlan, choose_plan, more_offload
from reelforge.generate.local.warm import RESIDENT
from tests.conftest import ffprobe, stream
from tests.generate.local.conftest import tiny_info

LTX_BF16 = {"transformer": int(3.8e9), "text_encoder": int(9.5e9), "vae": int(0.8e9), "tokenizer": 0}
"""Bytes on disk per component of a published checkpoint the size of LTX-Video 0.9 (T5-XXL in bf16)."""


@pytest.mark.parametrize(
    ("free_gib", "offload"),
    [(80, "none"), (20, "none"), (16, "model"), (14, "model"), (8, "group"), (6, "group"), (5, "sequential")],
)
def test_offload_follows_free_vram(free_gib, offload):
    # all weights 14.1 GB + 4 GiB working; largest component 9.5 GB + 4 GiB; group needs 6 GiB
    plan = choose_plan("cuda", free_gib * GIB, LTX_BF16)
    assert plan == MemoryPlan("cuda", "bfloat16", offload, vae_tiling=offload != "none")


def test_big_models_keep_a_quarter_of_their_weights_as_working_memory():
    hunyuan = {"transformer": 26 * GIB, "text_encoder": 15 * GIB, "text_encoder_2": GIB // 2, "vae": GIB // 2}
    assert memory.working_bytes(hunyuan) == 10.5 * GIB
    assert choose_plan("cuda:0", 53 * GIB, hunyuan).offload == "none"
    assert choose_plan("cuda:0", 52 * GIB, hunyuan).offload == "model"


def test_cpu_runs_float32_without_offload_and_setting_overrides():
    assert choose_plan("cpu", None, LTX_BF16) == MemoryPlan("cpu", "float32", "none", vae_tiling=False)
    assert choose_plan("cuda", 80 * GIB, LTX_BF16, "sequential").offload == "sequential"
    assert choose_plan("cuda", 1 * GIB, LTX_BF16, "none") == MemoryPlan("cuda", "bfloat16", "none", False)


def test_more_offload_steps_down_to_sequential_then_stops():
    plan = MemoryPlan("cuda", "bfloat16", "none", vae_tiling=False)
    seen = []
    while plan is not None:
        seen.append((plan.offload, plan.vae_tiling))
        plan = more_offload(plan)
    assert seen == [("none", False), ("model", True), ("group", True), ("sequential", True)]
    assert more_offload(MemoryPlan("cpu", "float32", "none", False)) is None


def test_out_of_memory_frees_the_pipeline_and_says_what_to_try(models_dir, tmp_path):
    """The transformer raises torch's OutOfMemoryError, as a GPU that runs out does mid-denoising. On the
    CPU there is nothing to offload, so no retry: the pipeline is dropped and the error is clear."""
    generator = ltx.LTXVideo(tiny_info("ltx"))
    request = ClipRequest(prompt="a cat", width=32, height=32, fps=12, num_frames=12, quality="low")
    generator.generate(request, tmp_path / "warm.mp4")
    key = str(models_dir / "tiny-ltx")
    transformer = RESIDENT.peek("cpu", key).pipe.transformer

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    transformer.forward = exhausted
    with pytest.raises(
        ProviderError,
        match=r"tiny-ltx: out of memory .*with nothing left to offload: .*REELFORGE_OFFLOAD=sequential",
    ):
        generator.generate(request, tmp_path / "clip.mp4")
    assert RESIDENT.peek("cpu", key) is None
    assert not (tmp_path / "clip.mp4").exists()

    loads = RESIDENT.loads
    generator.generate(request, tmp_path / "again.mp4")  # a fresh load works again
    assert RESIDENT.loads == loads + 1


def test_bfloat16_plans_keep_the_wan_vae_in_float32(models_dir):
    plan = MemoryPlan("cpu", "bfloat16", "none", vae_tiling=False)  # the GPU's dtype, placed on the CPU
    pipe = wan.Wan(tiny_info("wan"))._load(models_dir / "tiny-wan", plan).pipe
    assert (pipe.transformer.dtype, pipe.text_encoder.dtype, pipe.vae.dtype) == (
        torch.bfloat16,
        torch.bfloat16,
        torch.float32,
    )


def test_out_of_memory_retries_once_with_the_leaner_plan(models_dir, tmp_path, monkeypatch):
    """The first run runs out of memory: the pipeline is dropped, loaded again with `more_offload`'s plan
    (here a CPU plan standing in for the next offload level) and the clip is made on the second try."""
    generator = ltx.LTXVideo(tiny_info("ltx"))
    request = ClipRequest(prompt="a cat", width=32, height=32, fps=12, num_frames=12, quality="low")
    generator.generate(request, tmp_path / "warm.mp4")
    key = str(models_dir / "tiny-ltx")
    first = RESIDENT.peek("cpu", key)
    leaner = MemoryPlan("cpu", "float32", "none", vae_tiling=True)
    monkeypatch.setattr(memory, "more_offload", lambda plan: leaner)

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    first.pipe.transformer.forward = exhausted
    loads = RESIDENT.loads
    out = generator.generate(request, tmp_path / "clip.mp4")
    assert int(stream(ffprobe(out), "video")["nb_read_frames"]) == 12
    assert RESIDENT.loads == loads + 1
    again = RESIDENT.peek("cpu", key)
    assert again is not first and again.plan == leaner
