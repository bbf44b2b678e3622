"""`reelforge make --topic` and `reelforge chat` through the real CLI, against the fake LLM server."""

from __future__ import annotations

import json

import yaml

from reelforge.storyboard import load_storyboard
from tests.conftest import ffprobe, stream
from tests.e2e.test_cli_errors import assert_clean_failure, run_cli
from tests.fakes.openai_compatible import Reply


def test_make_from_a_topic_renders_a_video_with_cited_sources_and_metadata(fake, tmp_path):
    notes = tmp_path / "bees.md"
    notes.write_text("# Bees\n\nHoneybees pollinate about a third of the crops we eat.\n")
    out = tmp_path / "out"
    proc = run_cli(
        "make", "--topic", "Why bees matter", "--reference", str(notes), "--seconds", "15",
        "--aspect", "1:1", "--resolution", "240", "--quality", "low", "-o", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "3 scenes planned by LLM 'fake-small'" in proc.stderr and "citing bees.md#1" in proc.stderr
    video = stream(ffprobe(out / "video.mp4"), "video")
    assert (video["width"], video["height"]) == (240, 240) and float(video["duration"]) > 6
    meta = json.loads((out / "metadata.json").read_text())
    assert [s["sources"] for s in meta["scenes"]] == [["bees.md#1"]] * 3
    publish = meta["publish"]
    assert publish["written_by"] == "llm:fake-small"
    assert publish["title"] == "Why Bees Matter More Than You Think"
    assert publish["hashtags"] == ["#bees", "#Pollination", "#nature"]
    assert publish["youtube"]["hashtags"][0] == "#Shorts"
    assert [schema for schema in map(_schema, fake.chats)] == ["Plan", "Draft"]
    saved = load_storyboard(out / "storyboard.yaml")  # the plan, ready to edit and render again
    assert [s.narration for s in saved.scenes] == [s["narration"] for s in meta["scenes"]]
    assert saved.model == "motion" and saved.output.size == (240, 240)
    sources = json.loads((out / "sources.json").read_text())
    assert [p["id"] for p in sources] == ["bees.md#1"] and "a third of the crops" in sources[0]["text"]


def _schema(body: dict) -> str:
    return body["response_format"]["json_schema"]["name"]


def test_without_an_llm_topic_and_chat_fail_clearly_while_script_and_storyboard_modes_work(no_llm, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("make", "--topic", "Why bees matter", "-o", str(out), cwd=tmp_path)
    line = assert_clean_failure(
        proc, out, "no LLM configured", "LLM_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"
    )
    assert "GROQ_API_KEY" in line
    proc = run_cli("chat", "Hello", cwd=tmp_path)
    assert_clean_failure(proc, out, "no LLM configured", "LLM_BASE_URL")
    board = tmp_path / "board.yaml"
    board.write_text(
        "title: Rivers\nmodel: motion\noutput: {aspect: '1:1', resolution: 240, quality: low}\n"
        "music: {track: none}\nscenes:\n  - narration: Rivers carve canyons.\n"
    )
    proc = run_cli("render", str(board), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    publish = json.loads((out / "metadata.json").read_text())["publish"]
    assert publish["written_by"] == "storyboard" and publish["title"] == "Rivers"
    assert publish["hashtags"] == ["#rivers", "#canyons", "#carve"]
    proc = run_cli("make", "--script", "Deltas feed the sea.", "--aspect", "1:1", "--resolution", "240",
                   "--quality", "low", "-o", str(tmp_path / "script"), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    publish = json.loads((tmp_path / "script" / "metadata.json").read_text())["publish"]
    assert publish["written_by"] == "storyboard" and publish["title"] == "Deltas feed the sea."


def test_make_needs_a_script_or_a_topic(no_llm, tmp_path):
    out = tmp_path / "out"
    for args in ([], ["--script", "Hello.", "--topic", "Bees"]):
        proc = run_cli("make", *args, "-o", str(out), cwd=tmp_path)
        assert_clean_failure(proc, out, "give either --script TEXT", "--topic TEXT")


def test_chat_streams_text_and_edits_a_storyboard_file(fake, tmp_path):
    fake.then(Reply("Rivers begin as rain and end in the sea."))
    proc = run_cli("chat", "--mode", "scripter", "Narration about rivers", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Rivers begin as rain and end in the sea.\n"
    assert fake.chats[-1]["stream"] is True

    board = tmp_path / "board.yaml"
    board.write_text("title: Rivers\nmodel: motion\nscenes:\n  - narration: Rivers carve canyons.\n")
    edit = {
        "op": "replace",
        "path": "/scenes/0/on_screen_text",
        "value": "Stone gives way",
        "from": "",
        "reason": "",
    }
    fake.then(Reply(json.dumps({"summary": "Added an overlay.", "edits": [edit]})))
    saved = tmp_path / "edited.yaml"
    proc = run_cli("chat", "--mode", "editor", "--storyboard", str(board), "--save", str(saved),
                   "Add an overlay", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        "Added an overlay." in proc.stderr
        and "replace /scenes/0/on_screen_text: Stone gives way" in proc.stderr
    )
    assert yaml.safe_load(saved.read_text())["scenes"][0]["on_screen_text"] == "Stone gives way"

    proc = run_cli("chat", "--models", cwd=tmp_path)
    assert proc.stdout.split() == ["fake-large", "fake-small"]
    proc = run_cli("chat", "--mode", "poet", "Hello", cwd=tmp_path)
    assert_clean_failure(proc, tmp_path / "none", "--mode: Input should be 'general', 'planner', 'editor'")
