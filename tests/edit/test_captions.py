"""Caption phrases, the burned ASS track and its per-segment slices, and the sidecar files."""

from __future__ import annotations

import pysubs2

from reelforge.edit.captions import ass_document, phrases, segment_ass, write_sidecars
from reelforge.storyboard import CaptionStyle
from reelforge.voice.base import Word


def words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(text=t, start=s, end=e) for t, s, e in spec]


SCENE_1 = words(
    ("One", 0.0, 0.3), ("two", 0.3, 0.6), ("three.", 0.6, 0.9), ("Four", 1.5, 1.8), ("five", 1.8, 2.1)
)
SCENE_2 = words(("Six", 2.5, 2.8), ("seven", 2.8, 3.2))


def test_phrases_break_at_limits_sentences_pauses_and_scenes():
    got = [p.text for p in phrases([SCENE_1, SCENE_2], max_words=2)]
    assert got == ["One two", "three.", "Four five", "Six seven"]
    got = [p.text for p in phrases([SCENE_1, SCENE_2], max_words=8)]
    assert got == ["One two three.", "Four five", "Six seven"]


def test_ass_highlights_one_word_at_a_time_without_gaps():
    doc = ass_document(phrases([SCENE_1], 3), CaptionStyle(), (1080, 1920))
    first_phrase = doc.events[:3]
    assert [(e.start, e.end) for e in first_phrase] == [(0, 300), (300, 600), (600, 900)]
    assert (
        first_phrase[1].text.count("\\1c&H00D4FF&") == 1 and "two" in first_phrase[1].text.split("{\\r}")[0]
    )
    style = doc.styles["Caption"]
    assert style.fontname == "Noto Sans" and style.fontsize == round(0.055 * 1920)
    # Bottom captions clear the bottom 22% of a vertical frame, where the apps draw their own buttons.
    assert style.alignment == pysubs2.Alignment.BOTTOM_CENTER and style.marginv == round(1920 * 0.22)


def test_arabic_captions_get_an_arabic_font_drawn_larger():
    arabic = words(("مرحبا", 0.0, 0.5), ("بالعالم", 0.5, 1.0))
    style = ass_document(phrases([arabic], 4), CaptionStyle(), (1080, 1920)).styles["Caption"]
    assert style.fontname == "Noto Sans Arabic" and style.fontsize > round(0.055 * 1920)


def test_segment_slice_is_shifted_and_clipped():
    doc = ass_document(phrases([SCENE_1, SCENE_2], 2), CaptionStyle(), (360, 640))
    part = pysubs2.SSAFile.from_string(segment_ass(doc, 2.4, 3.1))
    assert [(e.start, e.end) for e in part.events] == [(100, 400), (400, 700)]
    assert part.info["PlayResX"] == "360"


def test_sidecars(tmp_path):
    write_sidecars(phrases([SCENE_1, SCENE_2], 3), tmp_path / "c.srt", tmp_path / "c.vtt")
    srt = pysubs2.load(str(tmp_path / "c.srt"))
    assert [(e.start, e.end, e.text) for e in srt] == [
        (0, 900, "One two three."),
        (1500, 2100, "Four five"),
        (2500, 3200, "Six seven"),
    ]
    assert (tmp_path / "c.vtt").read_text().startswith("WEBVTT")
