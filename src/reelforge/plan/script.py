"""Script mode: narration text -> storyboard, with no LLM. Sentences are grouped into scenes of 3-8 s of
speech, measured by synthesizing each sentence with the chosen voice engine."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from reelforge.edit.scripts import dominant_script
from reelforge.errors import InputError
from reelforge.storyboard import OutputSpec, Scene, Storyboard, VoiceSpec
from reelforge.voice import get_engine

MIN_SCENE_S = 3.0
MAX_SCENE_S = 8.0
_SENTENCE = re.compile(r"(?<=[.!?…。！？؟।])\s+|(?<=[。！？])")
_CLAUSE = re.compile(r"(?<=[,;:،،])\s+")

_SCRIPT_LANGUAGES = {
    "ARABIC": "ar",
    "HEBREW": "he",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "THAI": "th",
    "CJK": "cmn",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "CYRILLIC": "ru",
    "GREEK": "el",
}
"""Language assumed for a script written in a writing system (Latin text defaults to English)."""


def guess_language(text: str) -> str:
    return _SCRIPT_LANGUAGES.get(dominant_script(text), "en")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def split_scenes(text: str, voice: VoiceSpec) -> list[str]:
    """Group the script's sentences into scene narrations of 3-8 s of speech each (where sentences allow)."""
    if not text.strip():
        raise InputError("the script is empty: give the narration text to speak")
    engine = get_engine(voice.engine)
    with tempfile.TemporaryDirectory(prefix="reelforge-script-") as tmp:
        wav = Path(tmp) / "sentence.wav"

        def seconds(part: str) -> float:
            return engine.synthesize(
                part, wav, voice=voice.voice, language=voice.language, rate=voice.rate
            ).duration

        pieces: list[tuple[str, float]] = []
        for sentence in sentences(text):
            length = seconds(sentence)
            if length <= MAX_SCENE_S:
                pieces.append((sentence, length))
            else:
                pieces += [(clause, seconds(clause)) for clause in _CLAUSE.split(sentence) if clause.strip()]
    return _group(pieces)


def _group(pieces: list[tuple[str, float]]) -> list[str]:
    """Greedy grouping: join while the scene stays within 8 s (10 s to rescue a scene shorter than 3 s)."""
    scenes: list[tuple[list[str], float]] = []
    for text, length in pieces:
        combined = scenes[-1][1] + length if scenes else 0.0
        if scenes and (
            combined <= MAX_SCENE_S or (scenes[-1][1] < MIN_SCENE_S and combined <= MAX_SCENE_S + 2)
        ):
            scenes[-1][0].append(text)
            scenes[-1] = (scenes[-1][0], combined)
        else:
            scenes.append(([text], length))
    if len(scenes) > 1 and scenes[-1][1] < MIN_SCENE_S and scenes[-2][1] + scenes[-1][1] <= MAX_SCENE_S + 1:
        tail = scenes.pop()
        scenes[-1] = (scenes[-1][0] + tail[0], scenes[-1][1] + tail[1])
    return [" ".join(parts) for parts, _ in scenes]


def storyboard_from_script(
    text: str,
    *,
    model: str,
    output: OutputSpec | None = None,
    title: str = "",
    voice: VoiceSpec | None = None,
) -> Storyboard:
    """A storyboard whose scenes speak the script; each scene's visual prompt is its own narration."""
    voice = voice or VoiceSpec(language=guess_language(text))
    narrations = split_scenes(text, voice)
    first = sentences(text)[0]
    return Storyboard(
        title=title or (first if len(first) <= 60 else first[:57].rsplit(" ", 1)[0] + "…"),
        model=model,
        output=output or OutputSpec(),
        voice=voice,
        scenes=[Scene(narration=n, visual=n) for n in narrations],
    )
