"""The Kokoro engine through the real kokoro-onnx loader and synthesis, on a tiny ONNX model built here.

The real model (300 MB) cannot be fetched. The tiny model has Kokoro's interface (inputs input_ids, style,
speed; outputs waveform and, optionally, duration per token): every phoneme token sounds as 100 ms of a
220 Hz tone, punctuation and spaces as 100 ms of silence. So kokoro-onnx phonemizes, runs, trims and
reports timings for real, and the word timings can be checked against the silences the model made.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from reelforge.errors import ConfigError
from reelforge.voice.align import script_words
from reelforge.voice.kokoro import KokoroEngine
from tests.voice.test_espeak import boundary_errors
from tests.voice.timing import pause_errors

onnx = pytest.importorskip("onnx")
pytest.importorskip("kokoro_onnx")
TEXT = "Rivers carve canyons. Slowly, patiently, over millions of years."
TOKEN_SAMPLES = 2400  # 100 ms at Kokoro's 24 kHz
LAST_MARK = 16  # token ids up to 16 are punctuation and the space in Kokoro's vocabulary


def tiny_kokoro(folder: Path, *, durations: bool) -> Path:
    """Write kokoro-tiny.onnx and voices-tiny.bin (one voice, af_heart) into `folder`."""
    from onnx import TensorProto
    from onnx import helper as h
    from onnx import numpy_helper as nh

    tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(TOKEN_SAMPLES) / 24000)
    constants = {
        "minus_one": np.array([-1], np.int64),
        "last_mark": np.array(LAST_MARK, np.int64),
        "axis_one": np.array([1], np.int64),
        "tone": tone.astype(np.float32)[None, :],
    }
    nodes = [
        h.make_node("Reshape", ["input_ids", "minus_one"], ["flat"]),
        h.make_node("Greater", ["flat", "last_mark"], ["is_phoneme"]),
        h.make_node("Cast", ["is_phoneme"], ["loud"], to=TensorProto.FLOAT),
        h.make_node("Unsqueeze", ["loud", "axis_one"], ["column"]),
        h.make_node("Mul", ["column", "tone"], ["frames"]),
        h.make_node("Reshape", ["frames", "minus_one"], ["waveform"]),
    ]
    outputs = [h.make_tensor_value_info("waveform", TensorProto.FLOAT, [None])]
    if durations:
        nodes += [
            h.make_node("Shape", ["flat"], ["count"]),
            h.make_node("Expand", ["frames_per_token", "count"], ["duration"]),
        ]
        outputs.append(h.make_tensor_value_info("duration", TensorProto.INT64, [None]))
        constants["frames_per_token"] = np.array([4], np.int64)
    inputs = [
        h.make_tensor_value_info("input_ids", TensorProto.INT64, [1, None]),
        h.make_tensor_value_info("style", TensorProto.FLOAT, [1, 256]),
        h.make_tensor_value_info("speed", TensorProto.FLOAT, [1]),
    ]
    graph = h.make_graph(
        nodes, "tiny-kokoro", inputs, outputs, [nh.from_array(v, k) for k, v in constants.items()]
    )
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "kokoro-tiny.onnx")
    with (folder / "voices-tiny.bin").open("wb") as handle:
        np.savez(handle, af_heart=np.zeros((510, 1, 256), np.float32))
    return folder


@pytest.mark.parametrize("durations", [True, False], ids=["phoneme-durations", "forced-aligner"])
def test_tiny_model_speaks_with_word_timings(
    durations: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOKORO_MODEL_DIR", str(tiny_kokoro(tmp_path / "model", durations=durations)))
    monkeypatch.delenv("WHISPER_MODEL_DIR", raising=False)
    engine = KokoroEngine()
    assert engine.available() == (True, f"kokoro-tiny.onnx + voices-tiny.bin in {tmp_path / 'model'}")
    speech = engine.synthesize(TEXT, tmp_path / "v.wav", voice="", language="en-us", rate=165)
    assert (speech.sample_rate, speech.voice, speech.language) == (24000, "af_heart", "en-us")
    assert [w.text for w in speech.words] == script_words(TEXT)
    assert all(a.start < a.end <= b.start < b.end for a, b in itertools.pairwise(speech.words))
    if durations:  # every space is a 100 ms silence: every word boundary is checked
        errors = boundary_errors(speech)
        assert len(errors) >= 2 * len(speech.words) - 2
    else:  # the aligner takes only silences of 100 ms and more as pauses: the three clause pauses
        errors = pause_errors(speech)
        assert len(errors) >= 2 + 2 * 3
    print(f"kokoro ({'durations' if durations else 'aligner'}): max error {max(errors) * 1000:.0f} ms")
    assert max(errors) < 0.025


def test_unknown_voice_lists_the_voices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOKORO_MODEL_DIR", str(tiny_kokoro(tmp_path / "model", durations=True)))
    with pytest.raises(ConfigError, match="unknown kokoro voice 'bf_nobody': choose one of af_heart"):
        KokoroEngine().synthesize("Hello.", tmp_path / "v.wav", voice="bf_nobody", language="en-us", rate=165)


def test_kokoro_without_model_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("kokoro_onnx")
    monkeypatch.delenv("KOKORO_MODEL_DIR", raising=False)
    ok, detail = KokoroEngine().available()
    assert not ok and "set KOKORO_MODEL_DIR" in detail
    with pytest.raises(ConfigError, match="set KOKORO_MODEL_DIR"):
        KokoroEngine().synthesize("Hello.", tmp_path / "v.wav", voice="", language="en-us", rate=165)


def test_kokoro_names_the_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("kokoro_onnx")
    (tmp_path / "kokoro-v1.0.onnx").write_bytes(b"")
    monkeypatch.setenv("KOKORO_MODEL_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"has no voices-\*\.bin: put kokoro-v1.0.onnx and voices-v1.0.bin"):
        KokoroEngine().synthesize("Hello.", tmp_path / "v.wav", voice="", language="en-us", rate=165)
    (tmp_path / "voices-v1.0.bin").write_bytes(b"not numpy")
    with pytest.raises(ConfigError, match=r"kokoro-v1\.0\.onnx with voices-v1\.0\.bin does not load"):
        KokoroEngine().synthesize("Hello.", tmp_path / "v.wav", voice="", language="en-us", rate=165)
    assert not (tmp_path / "v.wav").exists()
