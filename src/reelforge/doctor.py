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
        engine = get_engine(name)
        ok, why = engine.available()
        summary = (type(engine).__doc__ or "narration with word timings").split("\n")[0].rstrip(".")
        out.append(Check(f"voice {name}", ok, why, summary, name == "espeak"))
    return out


def _models() -> list[Check]:
    from reelforge.generate.catalogue import listing, skipped_modules

    out = [
        Check(f"model {m.info.id}", m.available, m.why, f"{m.info.name} ({m.info.category})")
        for m in listing()
    ]
    for module, why in skipped_modules().items():
        out.append(Check(f"models in {module}", False, why, "the video models that module defines"))
    return out


def _models_needing(variable: str) -> str:
    """The catalogue's models whose `needs` name this setting, or that they are not in this release."""
    from reelforge.generate.catalogue import models

    ids = [m.id for m in models().values() if variable in m.needs]
    return ", ".join(ids) if ids else "planned, not in this release"


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
    keys = {
        "HF_TOKEN": (config.hf_token, f"open models hosted on Hugging Face: {_models_needing('HF_TOKEN')}"),
        "RUNWAYML_API_SECRET": (
            config.runwayml_api_secret,
            f"Runway models: {_models_needing('RUNWAYML_API_SECRET')}",
        ),
        "LUMAAI_API_KEY": (config.lumaai_api_key, f"Luma Dream Machine: {_models_needing('LUMAAI_API_KEY')}"),
        "GEMINI_API_KEY": (config.gemini_api_key, f"Google Veo: {_models_needing('GEMINI_API_KEY')}"),
        "NEURA_AI_SERVER": (
            config.neura_ai_server,
            f"your custom Neura model server: {_models_needing('NEURA_AI_SERVER')}",
        ),
        "SELF_HOSTED_SERVER": (
            config.self_hosted_server,
            f"a self-hosted model server: {_models_needing('SELF_HOSTED_SERVER')}",
        ),
        "OPENAI_API_KEY": (config.openai_api_key, "topic mode, chat and metadata through OpenAI"),
        "GROQ_API_KEY": (config.groq_api_key, "topic mode, chat and metadata through Groq"),
        "OLLAMA_HOST": (config.ollama_host, "topic mode, chat and metadata through a local Ollama"),
        "LLM_BASE_URL": (config.llm_base_url, "any OpenAI-compatible LLM server (with LLM_MODEL)"),
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
            f"local AI video models: {_local_models()}",
        )
    ]


def _local_models() -> str:
    from reelforge.generate.catalogue import models

    ids = [m.id for m in models().values() if m.target.startswith("reelforge.generate.local.")]
    return ", ".join(ids) if ids else "LTX-Video, CogVideoX, HunyuanVideo, Wan (planned, not in this release)"


def _llm() -> list[Check]:
    from reelforge.plan.llm import available

    ok, why = available()
    return [Check("LLM", ok, why, "make --topic, reelforge chat, LLM-written titles and hashtags")]


def checks() -> list[Check]:
    return [*_ffmpeg(), *_fonts(), *_voices(), *_models(), *_extras(), *_llm(), *_keys()]
