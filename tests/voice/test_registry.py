"""Every engine is registered, listed by `reelforge doctor` with what it needs, and is cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reelforge import doctor
from reelforge.errors import ConfigError, StoryboardError
from reelforge.storyboard import parse_storyboard
from reelforge.voice import engine_names, get_engine

ENGINES = ["edge", "elevenlabs", "espeak", "kokoro", "openai", "piper"]


def test_every_engine_is_registered() -> None:
    assert engine_names() == ENGINES
    assert {get_engine(name).name for name in ENGINES} == set(ENGINES)
    with pytest.raises(ConfigError, match="unknown voice engine 'nope': choose one of edge, elevenlabs"):
        get_engine("nope")


def test_importing_the_voices_imports_no_sdk() -> None:
    code = (
        "import sys, reelforge.voice; print(sorted(m for m in ('piper', 'openai', 'elevenlabs', 'edge_tts', "
    )
    code += "'kokoro_onnx', 'faster_whisper', 'onnxruntime', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_doctor_says_what_each_engine_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIPER_VOICES_DIR", "KOKORO_MODEL_DIR", "ELEVENLABS_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    checks = {c.name: c for c in doctor._voices()}
    assert sorted(checks) == [f"voice {name}" for name in ENGINES]
    assert checks["voice espeak"].ok and checks["voice espeak"].required
    needs = {"piper": "PIPER_VOICES_DIR", "kokoro": "KOKORO_MODEL_DIR", "elevenlabs": "ELEVENLABS_API_KEY"}
    needs["openai"] = "OPENAI_API_KEY"
    for name, setting in needs.items():
        check = checks[f"voice {name}"]
        assert not check.ok and setting in check.detail and not check.required


def board(engine: str) -> str:
    return f"title: t\nmodel: motion\nvoice: {{engine: {engine}}}\nscenes:\n  - narration: Hello.\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_storyboard_names_any_engine(engine: str) -> None:
    assert parse_storyboard(board(engine)).voice.engine == engine


def test_a_storyboard_with_an_unknown_engine_is_refused_with_its_line() -> None:
    with pytest.raises(
        StoryboardError, match=r"<storyboard>:3: voice.engine: unknown voice engine: choose one of edge"
    ):
        parse_storyboard(board("festival"))
