"""The Kokoro engine: kokoro-onnx (82M-parameter StyleTTS2 voices) from a local folder.

KOKORO_MODEL_DIR holds the model (`kokoro-*.onnx`, e.g. kokoro-v1.0.onnx) and the voices (`voices-*.bin`,
e.g. voices-v1.0.bin); nothing is downloaded. `voice` is a Kokoro voice (default af_heart), `language` a
Kokoro language code (en-us, en-gb, es, fr-fr, hi, it, pt-br, ja, zh), `rate` maps to `speed` (165 wpm =
1.0, limited to 0.5..2.0). Word timings: from the model's phoneme durations when the export reports them
(kokoro-onnx `create_timed`), else from the forced aligner (`align.align`).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import ConfigError, InputError
from reelforge.voice import align
from reelforge.voice.base import Speech, Word, file_stamp, register_engine
from reelforge.voice.wavfile import write_wav

DEFAULT_VOICE = "af_heart"
NATURAL_RATE = 165
_INSTALL = "pip install kokoro-onnx"
_FILES = "kokoro-v1.0.onnx and voices-v1.0.bin (from the kokoro-onnx releases)"
_load_lock = threading.Lock()


def model_files() -> tuple[Path, Path]:
    """(model, voices) in KOKORO_MODEL_DIR; ConfigError naming what is missing."""
    folder = settings().kokoro_model_dir
    if folder is None:
        raise ConfigError(f"kokoro needs its model: set KOKORO_MODEL_DIR to a folder with {_FILES}")
    models = sorted(folder.glob("kokoro-*.onnx")) if folder.is_dir() else []
    voices = sorted(folder.glob("voices-*.bin")) if folder.is_dir() else []
    if not models or not voices:
        missing = " and ".join(n for n, f in (("kokoro-*.onnx", models), ("voices-*.bin", voices)) if not f)
        raise ConfigError(f"KOKORO_MODEL_DIR={folder} has no {missing}: put {_FILES} there")
    return models[-1], voices[-1]


@functools.lru_cache(maxsize=2)
def _load(model: Path, voices: Path) -> Any:
    from kokoro_onnx import Kokoro

    try:
        return Kokoro(str(model), str(voices))
    except Exception as exc:  # onnxruntime / numpy errors: a damaged or mismatched file
        raise ConfigError(f"kokoro model {model.name} with {voices.name} does not load ({exc})") from exc


def words_from_phonemes(words: list[str], timings: list[Any]) -> list[Word] | None:
    """The script's words timed by Kokoro's phoneme timings (spaces separate phoneme words)."""
    units: list[align.Unit] = []
    current: list[Any] = []
    for timing in [*timings, None]:
        if timing is None or timing.phoneme == " ":
            spoken = [t for t in current if t.phoneme.isalpha()]
            if spoken:
                pause = any(not t.phoneme.isalpha() and not t.phoneme.isspace() for t in current)
                units.append(align.Unit("", spoken[0].start, spoken[-1].end, len(spoken), pause))
            current = []
        else:
            current.append(timing)
    if not units:
        return None
    return align.words_from_units(words, units, align.weight_cost(words, units, per_word=0.3, per_unit=0.3))


class KokoroEngine:
    """Kokoro: natural offline neural voices (English, Spanish, French, Hindi, Italian, Portuguese ...)."""

    name = "kokoro"

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("kokoro_onnx") is None:
            return False, _INSTALL
        try:
            model, voices = model_files()
        except ConfigError as exc:
            return False, str(exc)
        return True, f"{model.name} + {voices.name} in {model.parent}"

    def fingerprint(self, voice: str, language: str) -> dict[str, Any]:
        model, voices = model_files()
        return {"model": file_stamp(model), "voices": file_stamp(voices), **align.fingerprint()}

    def synthesize(self, text: str, out_wav: Path, *, voice: str, language: str, rate: int) -> Speech:
        """Speak `text` with Kokoro voice `voice` (default af_heart) at `rate` words/minute."""
        if not text.strip():
            raise InputError("nothing to speak: the narration text is empty")
        if importlib.util.find_spec("kokoro_onnx") is None:
            raise ConfigError(f"the kokoro engine is not installed: {_INSTALL}")
        words = align.script_words(text)
        with _load_lock:
            kokoro = _load(*model_files())
        voice_name = voice or DEFAULT_VOICE
        if voice_name not in kokoro.get_voices():
            raise ConfigError(
                f"unknown kokoro voice {voice_name!r}: choose one of {', '.join(kokoro.get_voices())}"
            )
        speed = min(2.0, max(0.5, rate / NATURAL_RATE))
        lang = (language or "en-us").lower()
        audio, sample_rate, timings = kokoro.create_timed(text, voice_name, speed=speed, lang=lang)
        out_wav = Path(out_wav)
        write_wav(out_wav, audio, sample_rate)
        timed = words_from_phonemes(words, timings)
        return Speech(
            wav=out_wav,
            duration=len(audio) / sample_rate,
            sample_rate=sample_rate,
            words=align.fit_to_audio(timed, out_wav) if timed else align.align(out_wav, words, language),
            language=lang,
            voice=voice_name,
        )


register_engine("kokoro", KokoroEngine)
