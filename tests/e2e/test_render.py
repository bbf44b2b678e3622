"""End-to-end renders: real ffmpeg output measured with ffprobe, ebur128 and frame analysis."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from reelforge.generate import quality
from reelforge.pipeline import render
from reelforge.storyboard import parse_storyboard
from tests.conftest import (
    audio_log,
    decoded,
    ffprobe,
    frame_colours,
    integrated_loudness,
    lavfi,
    make_clip,
    stream,
    true_peak,
)


def board_yaml(clips: dict[str, Path], *, aspect="9:16", resolution=360, extra="", music="builtin") -> str:
    return f"""
title: Rivers and Rocks
output: {{aspect: "{aspect}", resolution: {resolution}, fps: 30, quality: low}}
music: {{track: {music}}}
{extra}
scenes:
  - narration: Rivers carve canyons out of solid rock.
    clip: {clips["pattern"]}
  - narration: It takes a very long time.
    clip: {clips["fractal"]}
    transition: wipeleft
  - narration: Patience, it turns out, moves mountains.
    clip: {clips["life"]}
    fit: blur
"""


def test_render_measures_up(clips, tmp_path):
    board = parse_storyboard(board_yaml(clips))
    result = render(board, tmp_path / "out")
    meta = json.loads(result.metadata.read_text())
    info = ffprobe(result.video)
    video, audio = stream(info, "video"), stream(info, "audio")

    assert (video["codec_name"], video["width"], video["height"], video["pix_fmt"]) == (
        "h264",
        360,
        640,
        "yuv420p",
    )
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == 48000
    # The video lasts exactly its narration: each scene's WAV plus the voice's pause, in whole frames.
    wav_seconds = [
        float(stream(ffprobe(w), "audio")["duration"])
        for w in sorted((tmp_path / "cache" / "voice").glob("*/voice.wav"))
    ]
    narration = sum(wav_seconds) + len(wav_seconds) * board.voice.pause
    assert int(video["nb_read_frames"]) == meta["frames"]
    assert float(video["duration"]) == pytest.approx(narration, abs=1.5 / 30)
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=1 / 30)
    assert integrated_loudness(result.video) == pytest.approx(-14, abs=1)
    assert true_peak(result.video) <= -1.0
    # faststart: the moov atom comes before the media data
    head = result.video.read_bytes()[:64_000]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))

    # Captions: cues in order, inside the audio, each spanning the words it shows.
    cues = pysubs2.load(str(result.srt))
    assert [e.text for e in cues][:2] == ["Rivers carve canyons out", "of solid rock."]
    ends = [e.end for e in cues]
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert cues[0].start >= 0 and max(ends) / 1000 <= float(audio["duration"])
    assert len(pysubs2.load(str(result.vtt))) == len(cues)

    # Every scene's picture moves, in the finished video.
    colours = frame_colours(result.video)
    for scene in meta["scenes"]:
        first, last = round(scene["start"] * 30), round(scene["end"] * 30)
        steps = abs(colours[first + 1 : last] - colours[first : last - 1]).sum(axis=1)
        assert (steps > 0).mean() > 0.9, f"scene {scene['index']} has frozen frames"
    report = quality.measure(result.video)
    assert report.longest_frozen_s < 0.2

    # Thumbnail: a JPEG at the video's size, not black.
    thumb = stream(ffprobe(result.thumbnail), "video")
    assert (thumb["codec_name"], thumb["width"], thumb["height"]) == ("mjpeg", 360, 640)
    assert frame_colours(result.thumbnail).mean() > 30
    assert meta["resolution"] == "360x640" and len(meta["scenes"]) == 3
    assert meta["loudness"]["integrated_lufs"] == pytest.approx(-14, abs=1)
    assert set(meta["timings"]) >= {"voice", "clips", "segments", "audio", "join", "thumbnail"}


@pytest.mark.parametrize(("aspect", "size"), [("16:9", (640, 360)), ("1:1", (360, 360))])
def test_aspects(clips, tmp_path, aspect, size):
    result = render(parse_storyboard(board_yaml(clips, aspect=aspect)), tmp_path / "out")
    video = stream(ffprobe(result.video), "video")
    assert (video["width"], video["height"]) == size


def test_scene_boundaries_are_frame_exact_and_voice_in_sync(tmp_path):
    """Solid-colour clips with cuts: the colour must change on each scene's first frame, and each
    scene's voice must start within a frame of that scene's start."""
    colours = ["red", "green", "blue"]
    paths = [make_clip(tmp_path / f"{c}.mp4", f"noisy-{c}", seconds=1.0) for c in colours]
    scenes = "".join(
        f"  - {{narration: 'Scene number {n} speaks now.', clip: {p}, transition: cut}}\n"
        for n, p in zip(("one", "two", "three"), paths, strict=True)
    )
    board = parse_storyboard(
        "title: Sync\noutput: {resolution: 240, quality: low}\nmusic: {track: none}\n"
        f"captions: {{enabled: false}}\nscenes:\n{scenes}"
    )
    result = render(board, tmp_path / "out")
    meta = json.loads(result.metadata.read_text())
    per_frame = frame_colours(result.video)
    dominant = per_frame.argmax(axis=1)  # 0 red, 1 green, 2 blue
    for index, scene in enumerate(meta["scenes"]):
        first = round(scene["start"] * 30)
        assert dominant[first] == index, f"scene {index} does not start on frame {first}"
        if first:
            assert dominant[first - 1] == index - 1
    # Silence before each scene's first word ends where the scene starts (+ the engine's lead-in).
    log = audio_log(result.video, "silencedetect=n=-40dB:d=0.2")
    onsets = [float(t) for t in re.findall(r"silence_end: ([\d.]+)", log)]
    for scene in meta["scenes"][1:]:
        nearest = min(onsets, key=lambda t: abs(t - scene["start"]))
        assert abs(nearest - scene["start"]) <= 1.5 / 30, (scene["start"], onsets)


def test_rerender_reuses_everything_and_an_edit_reruns_only_what_changed(clips, tmp_path):
    text = board_yaml(clips)
    render(parse_storyboard(text), tmp_path / "a")
    again = render(parse_storyboard(text), tmp_path / "b")
    assert all(c["ran"] == 0 for c in again.stages.values()), again.stages
    assert (tmp_path / "a" / "video.mp4").read_bytes() == (tmp_path / "b" / "video.mp4").read_bytes()

    edited = render(
        parse_storyboard(text.replace("It takes a very long time.", "It takes ages.")), tmp_path / "c"
    )
    stages = edited.stages
    assert stages["voice"] == {"ran": 1, "reused": 2}
    assert stages["footage-check"] == {"ran": 0, "reused": 3}
    # Only scene 2's segment is re-encoded: scene 1's ends in a fade into the first frames of scene 2's
    # clip, which did not change, and scene 3's begins on its own clip.
    assert stages["segment"] == {"ran": 1, "reused": 2}
    assert stages["audio"]["ran"] == 1 and stages["join"]["ran"] == 1
    assert stages["thumbnail"] == {"ran": 0, "reused": 1}  # same clips, same title
    assert (
        json.loads(edited.metadata.read_text())["duration"]
        < json.loads(again.metadata.read_text())["duration"]
    )


def test_looped_short_clip_never_freezes(tmp_path):
    """A 1 s clip under a ~3 s scene is looped: the scene keeps moving."""
    short = make_clip(tmp_path / "short.mp4", "pattern", seconds=1.0)
    board = parse_storyboard(
        "title: Loop\noutput: {resolution: 240, quality: low}\ncaptions: {enabled: false}\n"
        f"scenes:\n  - {{narration: This sentence takes longer than one second to say., clip: {short}}}\n"
    )
    result = render(board, tmp_path / "out")
    assert json.loads(result.metadata.read_text())["duration"] > 2.0
    report = quality.measure(result.video)
    # 24 -> 30 fps repeats one frame in five (as any pulldown does); nothing longer ever holds.
    assert report.longest_frozen_s < 0.1 and report.static_fraction < 0.25


def test_users_own_music_track(clips, tmp_path):
    """A user's song plays under the video: in the 2.5 s pause after the narration, ducking lets go and
    the song is what is heard, where a render without music is silent."""
    song = tmp_path / "song.mp3"
    lavfi(song, "sine=f=440:r=44100", 1.5)
    levels = {}
    for music in (str(song), "none"):
        text = board_yaml(clips, music=music, extra="voice: {pause: 2.5}")
        result = render(parse_storyboard(text), tmp_path / Path(music).stem)
        end = json.loads(result.metadata.read_text())["duration"]
        log = audio_log(result.video, "volumedetect", start=end - 1.2)
        levels[music] = float(re.search(r"mean_volume: (-?[\d.]+) dB", log).group(1))
    assert levels[str(song)] > -35 and levels["none"] < -60, levels
    assert integrated_loudness(result.video) == pytest.approx(-14, abs=1)


def test_segments_continue_the_clips_frame_for_frame(tmp_path):
    """Across every join each output frame is the clip frame the timeline says: scene 1 shows its clip
    until the fade, the fade blends into the first frames of scene 2's clip, and scene 2 then carries on
    from its clip's 16th frame, its picture fully in place on the frame its narration starts."""
    clip = make_clip(tmp_path / "t.mp4", "pattern", size=(320, 240), seconds=4, fps=30)
    scene = f"{{narration: One two three four., clip: {clip}}}"
    board = parse_storyboard(
        "title: B\noutput: {resolution: 240, quality: high}\nmusic: {track: none}\n"
        f"captions: {{enabled: false}}\nscenes:\n  - {scene}\n  - {scene}\n"
    )
    result = render(board, tmp_path / "out")
    start = round(json.loads(result.metadata.read_text())["scenes"][1]["start"] * 30)
    out = _gray_frames(result.video, "scale=136:240")
    src = _gray_frames(clip, "crop=136:240,scale=136:240")

    def nearest(frame: int) -> int:
        return int(np.argmin([np.abs(out[frame] - s).mean() for s in src]))

    assert [nearest(start - 17), nearest(start - 16)] == [start - 17, start - 16]  # before the fade
    assert [nearest(start + i) for i in (0, 1, 2)] == [15, 16, 17]  # scene 2 goes on where the fade left it


def _gray_frames(path: Path, scale: str) -> np.ndarray:
    raw = decoded(path, scale)
    return np.frombuffer(raw, np.uint8).reshape(-1, 136 * 240).astype(int)


def test_relative_cache_and_output_folders(tmp_path, monkeypatch):
    """Folders given relative to the working folder work: stages run ffmpeg inside their own folders."""
    clip = make_clip(tmp_path / "clip.mp4", "pattern", seconds=3.0)
    monkeypatch.chdir(tmp_path)
    board = parse_storyboard(
        "title: Relative\noutput: {resolution: 240, quality: low}\ncaptions: {enabled: false}\nscenes:\n"
        f"  - {{narration: One short line., clip: {clip}}}\n  - {{narration: And another., clip: {clip}}}\n"
    )
    result = render(board, Path("out"), cache_dir=Path("cache"))
    assert result.video == Path("out/video.mp4")
    seconds = float(ffprobe(tmp_path / "out" / "video.mp4")["format"]["duration"])
    assert seconds == pytest.approx(result.duration, abs=0.05)
    assert (tmp_path / "cache" / "join").is_dir()
