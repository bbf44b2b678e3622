"""Bad input through the real CLI: one clear line, exit code 2, nothing that looks like a result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_clip

REELFORGE = [sys.executable, "-m", "reelforge"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run([*REELFORGE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def assert_clean_failure(proc: subprocess.CompletedProcess[str], out: Path, *needles: str) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    if out.exists():
        assert not list(out.iterdir()), f"left behind: {list(out.iterdir())}"
    return lines[0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.yaml"
    path.write_text(text)
    return path


SCENE = "  - {narration: Hello there., model: motion}\n"


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("title: X\nscenes:\n  - narration: [unclosed\n", ["board.yaml:4", "malformed YAML", "line 3"]),
        ("title: X\nscenes: []\n", ["board.yaml:2", "scenes"]),
        (
            "title: X\nscenes:\n  - {narration: '   ', model: motion}\n",
            ["board.yaml:3", "narration is empty"],
        ),
        ("title: X\nscenes:\n" + SCENE + "  - {narration: Hi., model: sora-9000}\n", ["sora-9000", "motion"]),
        ("title: X\noutput:\n  aspect: 4:3\nscenes:\n" + SCENE, ["board.yaml:3", "output.aspect", "'4:3'"]),
        ("title: X\nscenes:\n  - {narration: Hello.}\n", ["board.yaml:3", "no video model"]),
    ],
    ids=["malformed-yaml", "zero-scenes", "empty-narration", "unknown-model", "bad-aspect", "no-model"],
)
def test_invalid_storyboards(tmp_path, text, needles):
    out = tmp_path / "out"
    proc = run_cli("render", str(write(tmp_path, text)), "-o", str(out), cwd=tmp_path)
    assert_clean_failure(proc, out, *needles)


def test_missing_storyboard(tmp_path):
    proc = run_cli("render", "nope.yaml", "-o", "out", cwd=tmp_path)
    assert_clean_failure(proc, tmp_path / "out", "nope.yaml", "no such storyboard file")


def test_corrupt_and_truncated_clips(tmp_path):
    good = make_clip(tmp_path / "good.mp4", "pattern", seconds=2)
    (tmp_path / "noise.mp4").write_bytes(os.urandom(50_000))
    (tmp_path / "cut.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    for name in ("noise.mp4", "cut.mp4"):
        board = write(tmp_path, f"title: X\nscenes:\n  - {{narration: Hello there., clip: {name}}}\n")
        out = tmp_path / f"out-{name}"
        line = assert_clean_failure(run_cli("render", str(board), "-o", str(out), cwd=tmp_path), out, name)
        assert "scenes[0]" in line


def test_static_clip_is_rejected_not_shown(tmp_path):
    make_clip(tmp_path / "still.mp4", "gray", seconds=2)
    board = write(tmp_path, "title: X\nscenes:\n  - {narration: Hello there., clip: still.mp4}\n")
    out = tmp_path / "out"
    assert_clean_failure(
        run_cli("render", str(board), "-o", str(out), cwd=tmp_path), out, "still.mp4", "rejected"
    )


def test_missing_music_track(tmp_path):
    make_clip(tmp_path / "good.mp4", "pattern", seconds=2)
    text = "title: X\nmusic: {track: song.mp3}\nscenes:\n  - {narration: Hi., clip: good.mp4}\n"
    out = tmp_path / "out"
    proc = run_cli("render", str(write(tmp_path, text)), "-o", str(out), cwd=tmp_path)
    assert_clean_failure(proc, out, "song.mp3", "music.track")


def test_unwritable_output_dir(tmp_path):
    make_clip(tmp_path / "good.mp4", "pattern", seconds=2)
    board = write(tmp_path, "title: X\nscenes:\n  - {narration: Hello there., clip: good.mp4}\n")
    (tmp_path / "a-file").write_text("not a folder")
    proc = run_cli("render", str(board), "-o", str(tmp_path / "a-file" / "out"), cwd=tmp_path)
    assert_clean_failure(proc, tmp_path / "nowhere", "cannot write the output folder")


def test_failed_render_keeps_the_previous_result(tmp_path):
    make_clip(tmp_path / "good.mp4", "pattern", seconds=2)
    out = tmp_path / "out"
    ok = write(
        tmp_path,
        "title: X\noutput: {resolution: 240}\nscenes:\n  - {narration: Hello there., clip: good.mp4}\n",
    )
    assert run_cli("render", str(ok), "-o", str(out), cwd=tmp_path).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"video.mp4", "thumbnail.jpg", "captions.srt", "captions.vtt", "metadata.json"}
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 4096)
    bad = write(tmp_path, "title: X\nscenes:\n  - {narration: Hello there., clip: bad.mp4}\n")
    proc = run_cli("render", str(bad), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
