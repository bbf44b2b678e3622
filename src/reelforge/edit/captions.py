"""Captions from word timings: burned word-by-word highlights (ASS, drawn by libass) and SRT/WebVTT sidecars.

Words are grouped into short phrases (at most `max_words`, broken at sentence ends, long pauses and scene
boundaries). A phrase is one SRT/VTT cue; in the ASS track it is one event per word, the phrase shown whole
with the spoken word highlighted. Styles sit inside the platforms' safe areas: the bottom fifth of a 9:16
frame is covered by the app's own buttons and description, so bottom captions sit above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from reelforge.edit.scripts import caption_font
from reelforge.storyboard import CaptionStyle
from reelforge.voice.base import Word

_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", "؟", "।")
_PHRASE_BREAK_GAP = 0.45
"""A pause longer than this (seconds) between two words starts a new phrase."""


@dataclass(frozen=True)
class Phrase:
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def phrases(scene_words: Iterable[list[Word]], max_words: int) -> list[Phrase]:
    """Group each scene's words (already on the video's clock) into phrases; phrases never span scenes."""
    out: list[Phrase] = []
    for words in scene_words:
        current: list[Word] = []
        for word in words:
            if current and (
                len(current) >= max_words
                or current[-1].text.endswith(_SENTENCE_END)
                or word.start - current[-1].end > _PHRASE_BREAK_GAP
            ):
                out.append(Phrase(tuple(current)))
                current = []
            current.append(word)
        if current:
            out.append(Phrase(tuple(current)))
    return out


def ass_colour(hex_rgb: str) -> pysubs2.Color:
    """#rrggbb -> an opaque style colour."""
    value = hex_rgb.removeprefix("#")
    return pysubs2.Color(int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 0)


def ass_inline(hex_rgb: str) -> str:
    """#rrggbb -> the &HBBGGRR& form of ASS override tags."""
    value = hex_rgb.removeprefix("#")
    return f"&H{value[4:6]}{value[2:4]}{value[0:2]}&".upper()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def ass_document(phrase_list: list[Phrase], style: CaptionStyle, size: tuple[int, int]) -> pysubs2.SSAFile:
    """The burned caption track for the whole video, on the video's clock."""
    width, height = size
    doc = pysubs2.SSAFile()
    doc.info.update(
        {"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0", "ScaledBorderAndShadow": "yes"}
    )
    sample = " ".join(p.text for p in phrase_list[:8])
    font, scale = caption_font(sample, style.font)
    font_size = round(style.size * height * scale)
    alignment, margin_v = {
        "bottom": (pysubs2.Alignment.BOTTOM_CENTER, round(height * (0.22 if height > width else 0.1))),
        "middle": (pysubs2.Alignment.MIDDLE_CENTER, 0),
        "top": (pysubs2.Alignment.TOP_CENTER, round(height * (0.15 if height > width else 0.08))),
    }[style.position]
    doc.styles["Caption"] = pysubs2.SSAStyle(
        fontname=font,
        fontsize=font_size,
        primarycolor=ass_colour(style.color),
        outlinecolor=pysubs2.Color(0, 0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 110),
        bold=True,
        outline=max(2.0, font_size * 0.07),
        shadow=max(1.0, font_size * 0.03),
        alignment=alignment,
        marginl=round(width * 0.08),
        marginr=round(width * 0.08),
        marginv=margin_v,
    )
    highlight = ass_inline(style.highlight)
    for phrase in phrase_list:
        for index, word in enumerate(phrase.words):
            end = phrase.words[index + 1].start if index + 1 < len(phrase.words) else phrase.end
            parts = [
                f"{{\\1c{highlight}\\fscx108\\fscy108}}{_escape(w.text)}{{\\r}}"
                if i == index
                else _escape(w.text)
                for i, w in enumerate(phrase.words)
            ]
            doc.events.append(
                pysubs2.SSAEvent(start=_ms(word.start), end=_ms(end), text=" ".join(parts), style="Caption")
            )
    return doc


def segment_ass(doc: pysubs2.SSAFile, start: float, end: float) -> str:
    """The part of `doc` visible in [start, end), shifted so `start` is 0: one segment's own caption file."""
    part = pysubs2.SSAFile()
    part.info.update(doc.info)
    part.styles.update(doc.styles)
    lo, hi = _ms(start), _ms(end)
    for event in doc.events:
        if event.end > lo and event.start < hi:
            part.events.append(
                pysubs2.SSAEvent(
                    start=max(event.start, lo) - lo,
                    end=min(event.end, hi) - lo,
                    text=event.text,
                    style=event.style,
                )
            )
    return part.to_string("ass")


def write_sidecars(phrase_list: list[Phrase], srt: Path, vtt: Path) -> None:
    """SRT and WebVTT files with one cue per phrase."""
    doc = pysubs2.SSAFile()
    for phrase in phrase_list:
        doc.events.append(pysubs2.SSAEvent(start=_ms(phrase.start), end=_ms(phrase.end), text=phrase.text))
    doc.save(str(srt), format_="srt")
    doc.save(str(vtt), format_="vtt")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
