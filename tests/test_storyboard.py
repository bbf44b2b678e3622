"""The storyboard schema: sizes per aspect, YAML pitfalls, and errors that name the field and line."""

from __future__ import annotations

import json

import pytest

from reelforge.errors import InputError, StoryboardError
from reelforge.storyboard import load_storyboard, parse_storyboard

MINIMAL = "title: T\nmodel: motion\nscenes:\n  - narration: Hello.\n"


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("9:16", 1080, (1080, 1920)),
        ("16:9", 1080, (1920, 1080)),
        ("1:1", 720, (720, 720)),
        ("9:16", 360, (360, 640)),
    ],
)
def test_output_size_per_aspect(aspect, resolution, size):
    board = parse_storyboard(MINIMAL + f"output:\n  aspect: {aspect}\n  resolution: {resolution}\n")
    assert board.output.size == size


def test_unquoted_ratio_is_not_a_base60_number():
    # YAML 1.1 reads 9:16 as 556; the loader keeps it a string.
    assert parse_storyboard(MINIMAL + "output:\n  aspect: 16:9\n").output.aspect == "16:9"


def test_defaults_and_inheritance():
    board = parse_storyboard(MINIMAL)
    scene = board.scenes[0]
    assert (scene.duration, scene.transition, board.model_for(scene)) == ("fit", "fade", "motion")
    assert (board.output.fps, board.output.quality, board.voice.engine) == (30, "medium", "espeak")


def test_json_storyboards_load_with_paths_relative_to_the_file(tmp_path):
    path = tmp_path / "b.json"
    scene = {"narration": "Hi.", "clip": "c.mp4"}
    path.write_text(json.dumps({"title": "T", "music": {"track": "m.mp3"}, "scenes": [scene]}))
    board = load_storyboard(path)
    assert board.scenes[0].clip == tmp_path / "c.mp4"
    assert board.music.track == str(tmp_path / "m.mp3")
    assert board.model_for(board.scenes[0]) == "footage"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "  - narration: Two.\n    duration: 0.1\n", "<s>:6: scenes[1].duration: must be between"),
        (
            MINIMAL + "captions:\n  highlight: yellow\n",
            "<s>:6: captions.highlight: must be a colour like #FFD400",
        ),
        (MINIMAL + "output:\n  resolution: 721\n", "<s>:6: output.resolution: must be even"),
        (MINIMAL + "voice:\n  rate: 5\n", "<s>:6: voice.rate: Input should be greater than or equal to 80"),
        (MINIMAL.replace("title: T", "title: ''"), "<s>:1: title: String should have at least 1 character"),
        ("- just\n- a list\n", "<s>: a storyboard must be a mapping"),
        (MINIMAL + "  - narraton: typo\n", "<s>:5: scenes[1].narration: Field required (and 1 more problem)"),
    ],
)
def test_errors_name_field_and_line(text, message):
    with pytest.raises(StoryboardError) as error:
        parse_storyboard(text, source="<s>")
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such storyboard file"):
        load_storyboard(tmp_path / "missing.yaml")
