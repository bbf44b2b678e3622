"""Writing systems: which font draws a text, and whether it runs right to left.

libass shapes and orders the text (HarfBuzz, FriBiDi); this module only picks a font that has the glyphs.
"""

from __future__ import annotations

import unicodedata

_SCRIPT_FONTS: dict[str, tuple[str, float]] = {
    # script name (as in Unicode character names) -> (font family, size factor)
    "ARABIC": ("Noto Sans Arabic", 1.35),
    "HEBREW": ("Noto Sans Hebrew", 1.1),
    "DEVANAGARI": ("Noto Sans Devanagari", 1.15),
    "BENGALI": ("Noto Sans Bengali", 1.15),
    "TAMIL": ("Noto Sans Tamil", 1.05),
    "THAI": ("Noto Sans Thai", 1.15),
    "CJK": ("Noto Sans CJK SC", 1.0),
    "HIRAGANA": ("Noto Sans CJK JP", 1.0),
    "KATAKANA": ("Noto Sans CJK JP", 1.0),
    "HANGUL": ("Noto Sans CJK KR", 1.0),
}
"""'Noto Sans Arabic' draws visibly smaller at the same nominal size, hence the factors (measured by eye)."""

RTL_SCRIPTS = frozenset({"ARABIC", "HEBREW"})


def dominant_script(text: str) -> str:
    """The script of most letters in `text` (e.g. LATIN, ARABIC, CJK); LATIN when there are no letters."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        script = name.split(" ")[0] if name else ""
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else "LATIN"


def caption_font(text: str, latin_font: str) -> tuple[str, float]:
    """(font family, size factor) that draws `text`; the user's font for Latin, Greek and Cyrillic."""
    return _SCRIPT_FONTS.get(dominant_script(text), (latin_font, 1.0))


def is_rtl(text: str) -> bool:
    return dominant_script(text) in RTL_SCRIPTS
