"""GPU generation benchmark: full-size random-weight LTX-Video, CogVideoX-5B and Wan 2.1 T2V 1.3B, timed
at their standard resolution, frame count and steps, with reelforge's settings against plain diffusers.

Nothing is downloaded: each transformer and VAE is built from its published config (embedded below) with
random weights, directly on the device in bfloat16. The text encoder is left out; the pipeline gets
random prompt embeddings of the encoder's shape (T5-XXL: 4096 wide; 128, 226 and 512 tokens), so the
timing covers denoising (with classifier-free guidance, as the models run) and the VAE decode. Random
weights cost the same FLOPs as trained ones; the pictures are noise.

Settings, each on a freshly built pipeline:
* `diffusers`: `pipe.to("cuda")` in bf16, nothing else: diffusers' defaults (PyTorch SDPA attention).
* `ours`: reelforge's GPU speed-ups (`reelforge.generate.local.speed`): the fastest attention kernel
  installed and regional torch.compile of the transformer.
* `ours+cache`: the same plus FirstBlockCache (threshold 0.05), which skips most blocks on steps whose
  first block barely changed.

Per run: seconds per clip (the pipeline call, prompt embeddings given), seconds per denoising step, VAE
decode seconds (last step to frames in memory), peak VRAM (torch.cuda.max_memory_allocated), the
real-time factor (video seconds / clip seconds) and the speed-up over `diffusers`. Each setting first
runs one 2-step warm-up call (which pays torch.compile; its time is reported as `warmup_s`), then
`--repeat` timed calls, of which the median is kept.

Targets (PASS/FAIL): every model faster with `ours` or `ours+cache` than with `diffusers`; LTX-Video
makes its 5 s of 24 fps video (121 frames at 768x512) in under 5 s with one of our settings.

    .venv/bin/python bench/generate_gpu.py                        # all three models, all settings (GPU)
    .venv/bin/python bench/generate_gpu.py --models ltx-video --steps 30 --repeat 3
    .venv/bin/python bench/generate_gpu.py --tiny --device cpu    # smoke test: tiny configs on the CPU

Results go to bench/results/generate-gpu-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from reelforge.generate.local import speed

MODELS: dict[str, dict[str, Any]] = {
    "ltx-video": {
        "pipeline": "LTXPipeline",
        # Lightricks/LTX-Video 0.9.0 transformer/config.json (diffusers' defaults are the same)
        "transformer": (
            "LTXVideoTransformer3DModel",
            {
                "in_channels": 128,
                "out_channels": 128,
                "patch_size": 1,
                "patch_size_t": 1,
                "num_attention_heads": 32,
                "attention_head_dim": 64,
                "cross_attention_dim": 2048,
                "num_layers": 28,
                "activation_fn": "gelu-approximate",
                "qk_norm": "rms_norm_across_heads",
                "norm_elementwise_affine": False,
                "norm_eps": 1e-6,
                "caption_channels": 4096,
                "attention_bias": True,
                "attention_out_bias": True,
            },
        ),
        # vae/config.json of the same release
        "vae": (
            "AutoencoderKLLTXVideo",
            {
                "in_channels": 3,
                "out_channels": 3,
                "latent_channels": 128,
                "block_out_channels": (128, 256, 512, 512),
                "layers_per_block": (4, 3, 3, 3, 4),
                "spatio_temporal_scaling": (True, True, True, False),
                "patch_size": 4,
                "patch_size_t": 1,
                "resnet_norm_eps": 1e-6,
                "scaling_factor": 1.0,
                "encoder_causal": True,
                "decoder_causal": False,
                "timestep_conditioning": False,
            },
        ),
        "scheduler": (
            "FlowMatchEulerDiscreteScheduler",
            {
                "use_dynamic_shifting": True,
                "base_shift": 0.95,
                "max_shift": 2.05,
                "base_image_seq_len": 1024,
                "max_image_seq_len": 4096,
                "shift_terminal": 0.1,
            },
        ),
        "call": {
            "width": 768,
            "height": 512,
            "num_frames": 121,
            "frame_rate": 24,
            "num_inference_steps": 50,
            "guidance_scale": 3.0,
        },
        "fps": 24,
        "text": (128, 4096, True),
    },
    "cogvideox-5b": {
        "pipeline": "CogVideoXPipeline",
        # THUDM/CogVideoX-5b transformer/config.json
        "transformer": (
            "CogVideoXTransformer3DModel",
            {
                "num_attention_heads": 48,
                "attention_head_dim": 64,
                "in_channels": 16,
                "out_channels": 16,
                "flip_sin_to_cos": True,
                "freq_shift": 0,
                "time_embed_dim": 512,
                "text_embed_dim": 4096,
                "num_layers": 42,
                "attention_bias": True,
                "sample_width": 90,
                "sample_height": 60,
                "sample_frames": 49,
                "patch_size": 2,
                "temporal_compression_ratio": 4,
                "max_text_seq_length": 226,
                "activation_fn": "gelu-approximate",
                "timestep_activation_fn": "silu",
                "norm_elementwise_affine": True,
                "norm_eps": 1e-5,
                "spatial_interpolation_scale": 1.875,
                "temporal_interpolation_scale": 1.0,
                "use_rotary_positional_embeddings": True,
                "use_learned_positional_embeddings": False,
            },
        ),
        "vae": (
            "AutoencoderKLCogVideoX",
            {
                "in_channels": 3,
                "out_channels": 3,
                "block_out_channels": (128, 256, 256, 512),
                "latent_channels": 16,
                "layers_per_block": 3,
                "norm_eps": 1e-6,
                "norm_num_groups": 32,
                "temporal_compression_ratio": 4,
                "sample_height": 480,
                "sample_width": 720,
                "scaling_factor": 0.7,
            },
        ),
        "scheduler": (
            "CogVideoXDPMScheduler",
            {
                "beta_schedule": "scaled_linear",
                "beta_start": 0.00085,
                "beta_end": 0.012,
                "clip_sample": False,
                "prediction_type": "v_prediction",
                "rescale_betas_zero_snr": True,
                "set_alpha_to_one": True,
                "snr_shift_scale": 1.0,
                "timestep_spacing": "trailing",
            },
        ),
        "call": {
            "width": 720,
            "height": 480,
            "num_frames": 49,
            "num_inference_steps": 50,
            "guidance_scale": 6.0,
            "use_dynamic_cfg": True,
        },
        "fps": 8,
        "text": (226, 4096, False),
    },
    "wan-2.1-t2v-1.3b": {
        "pipeline": "WanPipeline",
        # Wan-AI/Wan2.1-T2V-1.3B-Diffusers transformer/config.json
        "transformer": (
            "WanTransformer3DModel",
            {
                "patch_size": (1, 2, 2),
                "num_attention_heads": 12,
                "attention_head_dim": 128,
                "in_channels": 16,
                "out_channels": 16,
                "text_dim": 4096,
                "freq_dim": 256,
                "ffn_dim": 8960,
                "num_layers": 30,
                "cross_attn_norm": True,
                "qk_norm": "rms_norm_across_heads",
                "eps": 1e-6,
                "rope_max_seq_len": 1024,
            },
        ),
        "vae": (
            "AutoencoderKLWan",
            {
                "base_dim": 96,
                "z_dim": 16,
                "dim_mult": [1, 2, 4, 4],
                "num_res_blocks": 2,
                "attn_scales": [],
                "temperal_downsample": [False, True, True],
            },
        ),
        "scheduler": (
            "UniPCMultistepScheduler",
            {
                "prediction_type": "flow_prediction",
                "use_flow_sigmas": True,
                "flow_shift": 3.0,
                "num_train_timesteps": 1000,
            },
        ),
        "call": {
            "width": 832,
            "height": 480,
            "num_frames": 81,
            "num_inference_steps": 50,
            "guidance_scale": 5.0,
        },
        "fps": 16,
        "text": (512, 4096, False),
    },
}

TINY: dict[str, dict[str, Any]] = {
    "ltx-video": {
        "transformer": {
            "in_channels": 8,
            "out_channels": 8,
            "num_attention_heads": 4,
            "attention_head_dim": 8,
            "cross_attention_dim": 32,
            "num_layers": 2,
            "caption_channels": 32,
        },
        "vae": {
            "latent_channels": 8,
            "block_out_channels": (8, 8, 8, 8),
            "decoder_block_out_channels": (8, 8, 8, 8),
            "layers_per_block": (1, 1, 1, 1, 1),
            "decoder_layers_per_block": (1, 1, 1, 1, 1),
            "spatio_temporal_scaling": (True, True, False, False),
            "decoder_spatio_temporal_scaling": (True, True, False, False),
            "decoder_inject_noise": (False,) * 5,
            "upsample_residual": (False,) * 4,
            "upsample_factor": (1,) * 4,
            "patch_size": 1,
        },
        "call": {"width": 32, "height": 32, "num_frames": 9},
        "text": (16, 32, True),
    },
    "cogvideox-5b": {
        "transformer": {
            "num_attention_heads": 4,
            "attention_head_dim": 16,
            "in_channels": 4,
            "out_channels": 4,
            "time_embed_dim": 2,
            "text_embed_dim": 32,
            "num_layers": 2,
            "sample_width": 2,
            "sample_height": 2,
            "sample_frames": 9,
            "max_text_seq_length": 16,
        },
        "vae": {
            "block_out_channels": (8, 8, 8, 8),
            "latent_channels": 4,
            "layers_per_block": 1,
            "norm_num_groups": 2,
        },
        "call": {"width": 16, "height": 16, "num_frames": 9},
        "text": (16, 32, False),
    },
    "wan-2.1-t2v-1.3b": {
        "transformer": {
            "num_attention_heads": 2,
            "attention_head_dim": 12,
            "text_dim": 32,
            "ffn_dim": 32,
            "num_layers": 2,
            "rope_max_seq_len": 32,
        },
        "vae": {"base_dim": 3, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1},
        "call": {"width": 16, "height": 16, "num_frames": 9},
        "text": (16, 32, False),
    },
}
"""--tiny: the same pipelines with a few channels (as in the tests), to prove the script end to end."""

SETTINGS = {"diffusers": frozenset(), "ours": frozenset({"attention", "compile"}),
            "ours+cache": frozenset({"attention", "compile", "cache"})}  # fmt: skip

REALTIME_TARGET_S = 5.0


def build(model: str, device: str, tiny: bool) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(pipeline on `device`, call arguments, spec) for `model`, random weights, no text encoder."""
    import diffusers

    spec = MODELS[model]
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    parts = {}
    for part in ("transformer", "vae"):
        name, config = spec[part]
        config = {**config, **(TINY[model][part] if tiny else {})}
        with torch.device(device):
            parts[part] = cast(getattr(diffusers, name)(**config).eval(), dtype)
    if model == "ltx-video" and tiny:
        parts["vae"].use_framewise_encoding = parts["vae"].use_framewise_decoding = False
    scheduler_name, scheduler_config = spec["scheduler"]
    scheduler = getattr(diffusers, scheduler_name)(**scheduler_config)
    pipe = getattr(diffusers, spec["pipeline"])(
        scheduler=scheduler, text_encoder=None, tokenizer=None, **parts
    )
    pipe.set_progress_bar_config(disable=True)
    call = {**spec["call"], **(TINY[model]["call"] if tiny else {})}
    tokens, width, masked = TINY[model]["text"] if tiny else spec["text"]
    generator = torch.Generator("cpu").manual_seed(0)
    for prefix in ("", "negative_"):
        call[f"{prefix}prompt_embeds"] = torch.randn(1, tokens, width, generator=generator).to(device, dtype)
        if masked:
            call[f"{prefix}prompt_attention_mask"] = torch.ones(1, tokens, dtype=torch.long, device=device)
    call["output_type"] = "np"
    return pipe, call, spec


def cast(model: Any, dtype: torch.dtype) -> Any:
    """`model` in `dtype`, except the modules its class keeps in float32 (as from_pretrained does)."""
    if dtype == torch.float32:
        return model
    model.to(dtype)
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    for name, module in model.named_modules():
        if any(part in keep for part in name.split(".")):
            module.float()
    return model


def timed_call(pipe: Any, call: dict[str, Any], device: str) -> dict[str, float]:
    """One pipeline call: clip seconds, seconds per step, VAE decode seconds, peak VRAM."""
    cuda = device.startswith("cuda")
    marks: list[float] = []

    def step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if cuda:
            torch.cuda.synchronize()
        marks.append(time.perf_counter())
        return tensors

    gc.collect()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    with torch.inference_mode():
        frames = pipe(**call, generator=torch.Generator("cpu").manual_seed(0), callback_on_step_end=step_end)
    if cuda:
        torch.cuda.synchronize()
    ended = time.perf_counter()
    video = np.asarray(frames.frames[0])
    if video.shape[0] != call["num_frames"] or not np.isfinite(video).all():
        raise RuntimeError(f"bad output: shape {video.shape}, finite {np.isfinite(video).all()}")
    return {
        "clip_s": ended - started,
        "s_per_step": (marks[-1] - started) / len(marks),
        "vae_decode_s": ended - marks[-1],
        "peak_vram_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0,
    }


def run_setting(model: str, setting: str, args: argparse.Namespace) -> dict[str, Any]:
    pipe, call, spec = build(model, args.device, args.tiny)
    if args.steps or args.tiny:
        call["num_inference_steps"] = args.steps or 2
    wanted = SETTINGS[setting]
    if not args.device.startswith("cuda"):
        wanted = wanted - {"attention"}  # the kernels are GPU-only; the CPU keeps PyTorch's own
    applied = speed.accelerate(pipe, wanted)
    started = time.perf_counter()
    timed_call(pipe, {**call, "num_inference_steps": 2}, args.device)  # warm-up: compile, autotune
    warmup = time.perf_counter() - started
    runs = [timed_call(pipe, call, args.device) for _ in range(args.repeat)]
    fps = spec["fps"]
    result = {key: round(statistics.median(r[key] for r in runs), 4) for key in runs[0]}
    del pipe
    gc.collect()
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {
        "model": model,
        "setting": setting,
        "applied": applied,
        "width": call["width"],
        "height": call["height"],
        "frames": call["num_frames"],
        "fps": fps,
        "steps": call["num_inference_steps"],
        "guidance": call.get("guidance_scale"),
        "warmup_s": round(warmup, 2),
        **result,
        "realtime_factor": round(call["num_frames"] / fps / result["clip_s"], 3),
        "runs": len(runs),
    }


def targets(rows: list[dict[str, Any]], tiny: bool) -> list[dict[str, Any]]:
    checks = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = {r["setting"]: r for r in rows if r["model"] == model}
        if "diffusers" not in mine or len(mine) < 2:
            continue
        best = min((r for s, r in mine.items() if s != "diffusers"), key=lambda r: r["clip_s"])
        base = mine["diffusers"]["clip_s"]
        value = f"{best['setting']} {best['clip_s']:.2f}s vs {base:.2f}s ({base / best['clip_s']:.2f}x)"
        checks.append(
            {
                "target": f"{model}: ours faster than diffusers defaults",
                "value": value,
                "pass": best["clip_s"] < base,
            }
        )
        if model == "ltx-video":
            video_s = best["frames"] / best["fps"]
            checks.append(
                {
                    "target": f"ltx-video: {video_s:.1f}s of video in under {REALTIME_TARGET_S:g}s",
                    "value": f"{best['clip_s']:.2f}s at {best['steps']} steps",
                    "pass": best["clip_s"] < REALTIME_TARGET_S and not tiny,
                }
            )
    return checks


def line(row: dict[str, Any]) -> str:
    size = f"{row['width']}x{row['height']}x{row['frames']}"
    return (
        f"{row['model']:18} {row['setting']:11} {size} {row['steps']} steps: {row['clip_s']:8.2f} s/clip "
        f"{row['s_per_step']:7.3f} s/step vae {row['vae_decode_s']:6.2f} s "
        f"peak {row['peak_vram_gib']:5.1f} GiB "
        f"x{row['realtime_factor']:.2f} realtime warm-up {row['warmup_s']:.1f} s "
        f"[{', '.join(row['applied']) or 'defaults'}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help="comma-separated: " + ", ".join(SETTINGS)
    )
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--steps", type=int, help="denoising steps (default: each model's standard 50; 2 with --tiny)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed calls per setting (median kept)")
    parser.add_argument(
        "--tiny", action="store_true", help="tiny configs (smoke test, e.g. with --device cpu)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA device here: run on a GPU machine, or use --tiny --device cpu for a smoke test")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    for name, known in ((models, MODELS), (settings, SETTINGS)):
        unknown = [n for n in name if n not in known]
        if unknown:
            sys.exit(f"unknown {', '.join(unknown)}: choose from {', '.join(known)}")

    rows = []
    for model in models:
        for setting in settings:
            row = run_setting(model, setting, args)
            rows.append(row)
            print(line(row), flush=True)
    for row in rows:
        base = next((r for r in rows if r["model"] == row["model"] and r["setting"] == "diffusers"), None)
        row["speedup_vs_diffusers"] = round(base["clip_s"] / row["clip_s"], 3) if base else None
    checks = targets(rows, args.tiny)
    for check in checks:
        verdict = "n/a (tiny)" if args.tiny else ("PASS" if check["pass"] else "FAIL")
        print(f"{verdict:10} {check['target']}: {check['value']}")
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    import diffusers

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": device,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "attention_backend": speed.attention_backend() if args.device.startswith("cuda") else "native",
        "tiny": args.tiny,
        "rows": rows,
        "targets": checks,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = args.out / f"generate-gpu{'-tiny' if args.tiny else ''}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
