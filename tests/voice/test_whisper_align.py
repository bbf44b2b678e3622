"""The faster-whisper aligner's real path: a tiny random-init Whisper built here, converted to CTranslate2
with ctranslate2's own converter and loaded from WHISPER_MODEL_DIR (no hub, HF_HUB_OFFLINE=1).

A random model recognises nothing, so this proves the loading and transcription calls and the fallback to
the pause aligner; pairing recognised words with the script is tested in test_align.py.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from reelforge.voice import align
from reelforge.voice.espeak import EspeakEngine

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("faster_whisper", "ctranslate2", "transformers", "torch")),
    reason="needs faster-whisper, ctranslate2, transformers and torch",
)
TEXT = "Rivers carve canyons. Slowly, patiently, over millions of years."


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer, 32-wide Whisper with a byte-level BPE tokenizer carrying Whisper's special tokens."""
    import ctranslate2
    import torch
    from faster_whisper.tokenizer import _LANGUAGE_CODES
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, WhisperConfig, WhisperForConditionalGeneration

    folder = tmp_path_factory.mktemp("whisper")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator([TEXT] * 10, trainer)
    specials = ["<|startoftranscript|>", *(f"<|{code}|>" for code in _LANGUAGE_CODES), "<|translate|>"]
    specials += ["<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
    tokenizer.add_special_tokens([*specials, *(f"<|{i * 0.02:.2f}|>" for i in range(1501))])
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=tokenizer.get_vocab_size(), num_mel_bins=80, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, d_model=32, encoder_ffn_dim=64,
        decoder_ffn_dim=64, decoder_start_token_id=tokenizer.token_to_id("<|startoftranscript|>"),
        eos_token_id=0, pad_token_id=0, bos_token_id=0,
    )  # fmt: skip
    WhisperForConditionalGeneration(config).save_pretrained(folder / "hf")
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>").save_pretrained(
        folder / "hf"
    )
    converter = ctranslate2.converters.TransformersConverter(
        str(folder / "hf"), copy_files=["tokenizer.json"]
    )
    return Path(converter.convert(str(folder / "ct2")))


def test_local_whisper_model_loads_and_nothing_heard_falls_back_to_pauses(
    tiny_whisper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WHISPER_MODEL_DIR", str(tiny_whisper))
    speech = EspeakEngine().synthesize(TEXT, tmp_path / "v.wav", voice="en", language="", rate=175)
    words = align.script_words(TEXT)
    with caplog.at_level(logging.WARNING, logger="reelforge.voice.align"):
        timed = align.align(speech.wav, words, "en")
    assert "faster-whisper heard too little of v.wav" in caplog.text
    assert timed == align.align_by_pauses(speech.wav, words)
    assert [w.text for w in timed] == [w.text for w in speech.words]
