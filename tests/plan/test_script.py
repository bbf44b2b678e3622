"""Script mode: narration text becomes scenes of 3-8 s of speech, with no LLM."""

from __future__ import annotations

import pytest

from reelforge.errors import InputError
from reelforge.plan.script import guess_language, sentences, split_scenes, storyboard_from_script
from reelforge.storyboard import OutputSpec, VoiceSpec
from reelforge.voice import get_engine

SCRIPT = (
    "Honeybees are astonishing. A single hive can hold sixty thousand of them. "
    "Each bee visits hundreds of flowers every day, carrying pollen from one to the next. "
    "Without them, many of the fruits we love would simply disappear. "
    "Almonds, apples and blueberries all depend on bees. "
    "So next time you see one, let it work. It is busy feeding the world."
)


def test_scenes_last_three_to_eight_seconds(tmp_path):
    voice = VoiceSpec()
    scenes = split_scenes(SCRIPT, voice)
    assert " ".join(scenes) == " ".join(SCRIPT.split())  # nothing lost, nothing reordered
    engine = get_engine("espeak")
    wav = tmp_path / "s.wav"
    lengths = [engine.synthesize(s, wav, voice="", language="en", rate=voice.rate).duration for s in scenes]
    assert len(scenes) >= 3
    assert all(3.0 <= seconds <= 8.5 for seconds in lengths), lengths


def test_a_long_sentence_is_split_at_its_clauses():
    long = (
        "The river rose through the night, it covered the fields and the roads, it reached the doors of "
        "the houses, and by morning the whole valley, from the mill to the church, was one grey lake."
    )
    scenes = split_scenes(long, VoiceSpec())
    assert len(scenes) >= 2 and " ".join(scenes) == long


def test_storyboard_from_script_names_the_model_and_title():
    board = storyboard_from_script(SCRIPT, model="motion", output=OutputSpec(aspect="16:9"))
    assert board.title == "Honeybees are astonishing."
    assert board.output.size == (1920, 1080)
    assert {board.model_for(s) for s in board.scenes} == {"motion"}
    assert all(s.visual == s.narration for s in board.scenes)


def test_languages_and_sentences():
    assert guess_language("مرحبا بالعالم. هذا اختبار.") == "ar"
    assert guess_language("Привет, мир.") == "ru"
    assert guess_language("Hello.") == "en"
    assert sentences("One. Two? Three! 四。五。") == ["One.", "Two?", "Three!", "四。", "五。"]


def test_empty_script():
    with pytest.raises(InputError, match="script is empty"):
        split_scenes("   ", VoiceSpec())
