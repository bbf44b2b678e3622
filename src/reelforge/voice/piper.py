"""The Piper engine: piper-tts voices (VITS, ONNX) from a local folder, word timings from the model's own
phoneme durations.

A voice is `<name>.onnx` with `<name>.onnx.json` beside it, in PIPER_VOICES_DIR; `voice` names one, or
empty picks the first whose name starts with the language (`en-us` -> `en_US-...`). `rate` 165 wpm is the
voice's own pace; other rates scale its length.

Timings: with the `onnx` package, piper exposes how many samples each phoneme took (the model's duration
predictor, read in memory from the graph). Phonemes between spaces make a phoneme word; phoneme words are
paired with the script's words by `align.words_from_units`. Without `onnx`, or if pairing fails, the
pauses in the audio time the words (`align.align_by_pauses`).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from reelforge.config import settings
from reelforge.errors import ConfigError, InputError
from reelforge.voice import align
from reelforge.voice.base import Speech, Word, file_stamp, register_engine
from reelforge.voice.wavfile import write_wav

NATURAL_RATE = 165
"""Words per minute that leave the voice at its trained pace (the storyboard's default rate)."""
_INSTALL = (
    "pip install 'piper-tts[alignment]' and set PIPER_VOICES_DIR to a folder of <voice>.onnx + .onnx.json"
)
_load_lock = threading.Lock()


def voices_dir() -> Path:
    folder = settings().piper_voices_dir
    if folder is None:
        raise ConfigError("piper needs voices: set PIPER_VOICES_DIR to a folder of <voice>.onnx + .onnx.json")
    if not folder.is_dir():
        raise ConfigError(f"PIPER_VOICES_DIR={folder} is not a folder: point it at your Piper voices")
    return folder


def list_voices(folder: Path) -> list[str]:
    """Names of the complete voices (model and config) in `folder`."""
    return sorted(p.name.removesuffix(".onnx") for p in folder.glob("*.onnx") if Path(f"{p}.json").is_file())


def _choose(folder: Path, voice: str, language: str) -> Path:
    names = list_voices(folder)
    if not names:
        raise ConfigError(
            f"no Piper voice in PIPER_VOICES_DIR={folder}: add <voice>.onnx with <voice>.onnx.json"
        )
    if voice:
        if voice not in names:
            raise ConfigError(f"unknown piper voice {voice!r} in {folder}: choose one of {', '.join(names)}")
        return folder / f"{voice}.onnx"
    lang, _, region = language.replace("_", "-").partition("-")
    prefix = f"{lang.lower()}_{region.upper()}" if region else f"{lang.lower()}_"
    match = next((n for n in names if n.startswith(prefix)), None)
    if match is None:
        raise ConfigError(
            f"no piper voice for {language!r} in {folder}: set voice.voice to one of {', '.join(names)}"
        )
    return folder / f"{match}.onnx"


@functools.lru_cache(maxsize=4)
def _load(model: Path, alignments: bool) -> Any:
    from piper import PiperVoice

    try:
        return PiperVoice.load(model, include_alignments=alignments)
    except Exception as exc:  # onnxruntime / json errors: a damaged download
        raise ConfigError(f"piper voice {model.name} does not load ({exc}): download it again") from exc


def _phoneme_words(chunks: list[Any]) -> list[align.Unit] | None:
    """Timed phoneme words from piper's per-sentence alignments; None if a chunk has none."""
    units: list[align.Unit] = []
    offset = 0
    for chunk in chunks:
        if not chunk.phoneme_alignments:
            return None
        position = offset
        phonemes: list[str] = []
        start = pause = None
        for item in chunk.phoneme_alignments:
            symbol = item.phoneme
            if symbol in (" ", "$") and phonemes:  # a sentence's end is a pause even without a full stop
                ends_at = pause if pause is not None else position
                closes = pause is not None or symbol == "$"
                units.append(align.Unit("".join(phonemes), start, ends_at, len(phonemes), closes))
                phonemes, start, pause = [], None, None
            elif unicodedata.category(symbol[0]) in ("Ll", "Lu", "Lo"):
                if start is None:
                    start = position
                phonemes.append(symbol)
            elif unicodedata.category(symbol[0]).startswith("P") and phonemes and pause is None:
                pause = position
            position += int(item.num_samples)
        offset += len(chunk.audio_float_array)
    return units


class PiperEngine:
    """Piper: natural offline neural voices, ~40 languages, faster than real time on a CPU."""

    name = "piper"

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("piper") is None:
            return False, _INSTALL
        try:
            folder = voices_dir()
        except ConfigError as exc:
            return False, str(exc)
        names = list_voices(folder)
        if not names:
            return False, f"no <voice>.onnx + .onnx.json in PIPER_VOICES_DIR={folder}"
        timing = "phoneme durations" if importlib.util.find_spec("onnx") else "pauses (pip install onnx)"
        return True, f"{len(names)} voice(s) in {folder}: {', '.join(names[:3])}; word timings from {timing}"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        model = _choose(voices_dir(), voice, language)
        config = Path(f"{model}.json")
        return {"model": file_stamp(model), "config": file_stamp(config), **align.fingerprint()}

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with Piper voice `voice` (or the first for `language`) at `rate` words/minute."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        if importlib.util.find_spec("piper") is None:
            raise ConfigError(f"the piper engine is not installed: {_INSTALL}")
        from piper import SynthesisConfig

        words = align.script_words(text)
        model = _choose(voices_dir(), voice, language)
        with _load_lock:
            piper_voice = _load(model, importlib.util.find_spec("onnx") is not None)
        config = SynthesisConfig(length_scale=piper_voice.config.length_scale * NATURAL_RATE / rate)
        chunks = list(piper_voice.synthesize(text, syn_config=config, include_alignments=True))
        if not chunks:
            raise InputError(f"piper produced no speech for {text[:40]!r}: it has nothing piper can say")
        audio = np.concatenate([c.audio_float_array for c in chunks])
        sample_rate = chunks[0].sample_rate
        out_wav = Path(out_wav)
        write_wav(out_wav, audio, sample_rate)
        timed = _timed_words(words, _phoneme_words(chunks), sample_rate)
        timed = align.fit_to_audio(timed, out_wav) if timed else align.align_by_pauses(out_wav, words)
        return Speech(
            wav=out_wav,
            duration=len(audio) / sample_rate,
            sample_rate=sample_rate,
            words=timed,
            language=language or piper_voice.config.espeak_voice,
            voice=model.name.removesuffix(".onnx"),
        )


def _timed_words(words: list[str], units: list[align.Unit] | None, sample_rate: int) -> list[Word] | None:
    if not units:
        return None
    seconds = [
        align.Unit(u.text, u.start / sample_rate, u.end / sample_rate, u.weight, u.pause_after) for u in units
    ]
    return align.words_from_units(
        words, seconds, align.weight_cost(words, seconds, per_word=0.3, per_unit=0.3)
    )


register_engine("piper", PiperEngine)
