"""edge-tts without its online service (a wss:// URL fixed in the package, unreachable here): the
WordBoundary events are produced by edge-tts's own metadata parser from a message of the documented
shape, then timed. Synthesis itself is not tested here."""

from __future__ import annotations

import json

import pytest

from reelforge.voice.edge import EdgeEngine, words_from_boundaries


def edge_event(communicate, text: str, offset_s: float, duration_s: float) -> dict:
    """One WordBoundary event as edge-tts itself parses it from the service's audio.metadata message."""
    ticks = {"Offset": round(offset_s * 1e7), "Duration": round(duration_s * 1e7)}
    message = {
        "Metadata": [{"Type": "WordBoundary", "Data": {**ticks, "text": {"Text": text, "Length": len(text)}}}]
    }
    return communicate._Communicate__parse_metadata(json.dumps(message).encode())


def test_edge_word_boundaries_become_the_scripts_words() -> None:
    edge_tts = pytest.importorskip("edge_tts")
    communicate = edge_tts.Communicate("unused", boundary="WordBoundary")
    spoken = [("Rivers", 0.1, 0.4), ("carve", 0.55, 0.3), ("3.5", 0.9, 0.6), ("canyons", 1.6, 0.5)]
    events = [edge_event(communicate, *word) for word in spoken]
    assert events[0] == {"type": "WordBoundary", "offset": 1_000_000, "duration": 4_000_000, "text": "Rivers"}
    words = words_from_boundaries(["Rivers", "carve", "3.5", "canyons."], events)
    assert [(w.text, round(w.start, 3), round(w.end, 3)) for w in words] == [
        ("Rivers", 0.1, 0.5), ("carve", 0.55, 0.85), ("3.5", 0.9, 1.5), ("canyons.", 1.6, 2.1),
    ]  # fmt: skip


def test_edge_is_listed_as_needing_the_internet() -> None:
    pytest.importorskip("edge_tts")
    ok, detail = EdgeEngine().available()
    assert ok and "internet" in detail
