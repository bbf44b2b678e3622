"""Frame arithmetic of the timeline: whole frames, exact starts, transitions that fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge.edit.timeline import plan_timeline
from reelforge.errors import StoryboardError
from reelforge.storyboard import parse_storyboard
from reelforge.voice.base import Speech


def speech(seconds: float) -> Speech:
    return Speech(wav=Path("x.wav"), duration=seconds, sample_rate=22050, words=[], language="en", voice="en")


def board(*scenes: str, fps: int = 30) -> object:
    body = "".join(f"  - {{narration: N, model: motion{s}}}\n" for s in scenes)
    return parse_storyboard(f"title: T\noutput: {{fps: {fps}}}\nscenes:\n{body}")


def test_scenes_fill_whole_frames_end_to_end():
    tl = plan_timeline(board("", ", transition: cut", ""), [speech(2.0), speech(1.01), speech(3.333)])
    assert [s.frames for s in tl.slots] == [
        round((2.0 + 0.35) * 30),
        round((1.01 + 0.35) * 30),
        round(3.683 * 30),
    ]
    assert [s.start_frame for s in tl.slots] == [0, 70, 111]
    assert tl.total_frames == 70 + 41 + 110 and tl.duration == pytest.approx(221 / 30)
    # The first scene has nothing to blend from; a cut blends nothing; a fade takes 0.5 s = 15 frames
    # at the end of the scene before, so the clip of the scene it enters must supply 15 frames more.
    assert [(s.transition, s.transition_frames, s.clip_frames) for s in tl.slots] == [
        ("cut", 0, 70),
        ("cut", 0, 41),
        ("fade", 15, 125),
    ]


def test_transition_never_longer_than_half_a_short_scene():
    tl = plan_timeline(board("", ", duration: 0.6"), [speech(2.0), speech(0.2)])
    assert tl.slots[1].frames == 18 and tl.slots[1].transition_frames == 9
    tl = plan_timeline(board(", duration: 0.6", ""), [speech(0.2), speech(2.0)])
    assert tl.slots[0].frames == 18 and tl.slots[1].transition_frames == 9


def test_fixed_duration_shorter_than_narration_is_an_error():
    with pytest.raises(
        StoryboardError, match=r"scenes\[1\]: the narration lasts 4.00 s but `duration` is 2 s"
    ):
        plan_timeline(board("", ", duration: 2"), [speech(1.0), speech(4.0)])


def test_fixed_duration_at_25_fps():
    tl = plan_timeline(board(", duration: 3.02", fps=25), [speech(1.0)])
    assert tl.slots[0].frames == 76 and tl.fps == 25
