"""Fonts and direction by writing system."""

from __future__ import annotations

import pytest

from reelforge.edit.scripts import caption_font, dominant_script, is_rtl


@pytest.mark.parametrize(
    ("text", "font", "rtl"),
    [
        ("Hello world", "My Font", False),
        ("Привет, мир", "My Font", False),
        ("مرحبا بالعالم", "Noto Sans Arabic", True),
        ("שלום עולם", "Noto Sans Hebrew", True),
        ("नमस्ते दुनिया", "Noto Sans Devanagari", False),
        ("你好，世界", "Noto Sans CJK SC", False),
        ("Order: مرحبا بالعالم يا صديقي", "Noto Sans Arabic", True),
    ],
)
def test_font_and_direction(text, font, rtl):
    assert caption_font(text, "My Font")[0] == font
    assert is_rtl(text) is rtl


def test_arabic_is_drawn_larger_and_empty_text_is_latin():
    assert caption_font("مرحبا", "X")[1] > 1.2
    assert dominant_script("123 !!") == "LATIN"
