"""`reelforge doctor`: what is available on this machine and what each part unlocks."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass

from reelforge.config import settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    unlocks: str
    required: bool = False


def _ffmpeg() -> list[Check]:
    if not shutil.which("ffmpeg") or not shutil.which("ffprobe"):
        return [Check("ffmpeg", False, "not on PATH: apt-get install ffmpeg", "every render", True)]
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    filters = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    needed = {
        "ass": "burned captions (libass)",
        "xfade": "transitions",
        "ebur128": "-14 LUFS loudness (measuring)",
        "alimiter": "-14 LUFS loudness (peak limiting)",
        "sidechaincompress": "music ducking",
        "gradients": "the motion model",
    }
    checks = [
        Check("ffmpeg", True, version.removeprefix("ffmpeg version ").split(" ")[0], "every render", True)
    ]
    for name, what in needed.items():
        ok = f" {name} " in filters
        checks.append(
            Check(
                f"ffmpeg filter {name}", ok, "present" if ok else "missing: use Debian's ffmpeg", what, True
            )
        )
    ok = " libx264 " in encoders
    checks.append(Check("ffmpeg libx264", ok, "present" if ok else "missing", "H.264 output", True))
    return checks


def _voices() -> list[Check]:
    from reelforge.voice.base import engine_names, get_engine

    out = []
    for name in engine_names():
        ok, why = get_engine(name).available()
        out.append(Check(f"voice {name}", ok, why, "narration with word timings", name == "espeak"))
    return out


def _models() -> list[Check]:
    from reelforge.generate.coordinator import load_generator, model_ids

    out = []
    for model_id in model_ids():
        ok, why = load_generator(model_id).available()
        out.append(Check(f"model {model_id}", ok, why, "video clips for scenes", False))
    return out


def _fonts() -> list[Check]:
    listing = (
        subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
        if shutil.which("fc-list")
        else ""
    )
    out = []
    for family, what in (
        ("Noto Sans", "captions and titles"),
        ("Noto Sans Arabic", "Arabic captions"),
        ("Noto Sans CJK SC", "Chinese/Japanese/Korean captions"),
    ):
        ok = any(line.split(",")[0].strip() == family for line in listing.splitlines())
        out.append(
            Check(
                f"font {family}",
                ok,
                "installed" if ok else "apt-get install fonts-noto-core fonts-noto-cjk",
                what,
            )
        )
    return out


def _keys() -> list[Check]:
    config = settings()
    planned = "planned, not in this release"
    keys = {
        "HF_TOKEN": (config.hf_token, f"free/open models hosted on Hugging Face ({planned})"),
        "RUNWAYML_API_SECRET": (config.runwayml_api_secret, f"Runway models ({planned})"),
        "LUMAAI_API_KEY": (config.lumaai_api_key, f"Luma Dream Machine ({planned})"),
        "GEMINI_API_KEY": (config.gemini_api_key, f"Google Veo ({planned})"),
        "NEURA_AI_SERVER": (config.neura_ai_server, f"your custom Neura model server ({planned})"),
        "SELF_HOSTED_SERVER": (config.self_hosted_server, f"a self-hosted model server ({planned})"),
        "OPENAI_API_KEY": (config.openai_api_key, f"topic mode planning with an LLM ({planned})"),
        "GROQ_API_KEY": (config.groq_api_key, f"topic mode planning through Groq ({planned})"),
    }
    return [
        Check(name, value is not None, "set" if value is not None else "not set", what)
        for name, (value, what) in keys.items()
    ]


def _extras() -> list[Check]:
    present = all(importlib.util.find_spec(m) for m in ("torch", "diffusers"))
    return [
        Check(
            "python torch+diffusers",
            present,
            "installed" if present else "not installed",
            "local AI video models: LTX-Video, CogVideoX, HunyuanVideo, Wan (planned, not in this release)",
        )
    ]


def checks() -> list[Check]:
    return [*_ffmpeg(), *_fonts(), *_voices(), *_models(), *_extras(), *_keys()]
