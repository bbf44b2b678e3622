"""Topic mode: topic + reference documents -> a validated Storyboard that cites the passages it used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelforge.errors import ConfigError, InputError
from reelforge.plan.planner import PlanOptions, plan_storyboard
from reelforge.plan.references import chunk_text, load_passages, retrieve
from reelforge.storyboard import OutputSpec, VoiceSpec
from tests.fakes.openai_compatible import Reply
from tests.plan.conftest import plan_answer, prompt_of

BEES = """# Bees

Honeybees pollinate about a third of the crops humans eat, including almonds, apples and blueberries.

A single hive can hold sixty thousand bees in summer.

# Decline

Pesticides, parasites such as the varroa mite, and habitat loss have caused colony losses since 2006.
"""
VOLCANOES = "Volcanoes form where tectonic plates meet. Magma rises through the crust and erupts as lava."


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A minimal PDF with one line of Helvetica text per page (offsets computed, so any reader opens it)."""
    count = len(pages)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids ["
        + " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
        + f"] /Count {count} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 11 Tf 40 700 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return path


@pytest.fixture
def references(tmp_path) -> list[Path]:
    (tmp_path / "bees.md").write_text(BEES)
    (tmp_path / "volcanoes.txt").write_text(VOLCANOES)
    pdf = make_pdf(
        tmp_path / "study.pdf",
        ["Wild bees and honeybees together pollinate crops worth billions each year.", "Unrelated appendix."],
    )
    return [tmp_path / "bees.md", tmp_path / "volcanoes.txt", pdf]


def test_documents_become_passages_with_ids_and_pages(references):
    passages = load_passages(references)
    assert [p.id for p in passages] == [
        "bees.md#1", "bees.md#2", "volcanoes.txt#1", "study.pdf#1", "study.pdf#2",
    ]  # fmt: skip
    assert passages[0].text.startswith("# Bees Honeybees pollinate") and "sixty thousand" in passages[0].text
    assert passages[1].text.startswith("# Decline")  # a heading starts a new passage
    assert [p.page for p in passages[3:]] == [1, 2] and "worth billions" in passages[3].text


def test_files_with_the_same_name_get_distinct_ids(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.md").write_text(f"Notes from {folder}.")
    passages = load_passages([tmp_path / "a" / "notes.md", tmp_path / "b" / "notes.md"])
    assert [(p.id, p.text) for p in passages] == [
        ("notes.md#1", "Notes from a."),
        ("b/notes.md#1", "Notes from b."),
    ]


def test_long_paragraphs_are_cut_at_sentences():
    text = " ".join(f"Sentence number {i} is here and it has ten words." for i in range(40))
    chunks = chunk_text(text, words=60)
    assert len(chunks) >= 6 and all(len(c.split()) <= 60 for c in chunks)
    assert " ".join(chunks) == text


def test_bm25_finds_the_relevant_passages(references):
    found = retrieve(load_passages(references), "how bees pollinate crops", k=3)
    assert {p.id for p in found[:2]} == {"bees.md#1", "study.pdf#1"}  # both name bees, pollination and crops
    assert all("volcano" not in p.text.lower() for p in found)
    assert retrieve(load_passages(references), "quantum chromodynamics") == []


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notes.docx", b"PK", "must be .txt, .md, .markdown, .pdf"),
        ("missing.md", None, "no such reference document"),
        ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
        ("broken.pdf", b"%PDF-1.4 garbage", "cannot read the PDF"),
        ("empty.md", b"  \n\n ", "no text found"),
    ],
)
def test_unusable_reference_documents(tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=needle) as caught:
        load_passages([path])
    assert str(path) in str(caught.value)


def test_topic_to_storyboard_citing_the_retrieved_passages(fake, references):
    options = PlanOptions(model="motion", output=OutputSpec(aspect="1:1", resolution=240), seconds=20,
                          voice=VoiceSpec(language="en", rate=180))  # fmt: skip
    planned = plan_storyboard("Why bees matter", options, context="for kids", references=references)
    board = planned.storyboard
    assert len(board.scenes) == 3 and all(s.narration.strip() for s in board.scenes)
    assert all(s.duration == "fit" for s in board.scenes)  # the voice decides the timing
    assert all(3 <= s.seconds <= 8 for s in planned.plan.scenes)
    assert {board.model_for(s) for s in board.scenes} == {"motion"}
    assert board.output.size == (240, 240) and board.voice.rate == 180  # the user's options, not the LLM's
    shown = {p.id for p in planned.passages}
    assert shown >= {"bees.md#1", "study.pdf#1"} and "volcanoes.txt#1" not in shown
    cited = [source for s in board.scenes for source in s.sources]
    assert cited and set(cited) <= shown
    body = fake.chats[0]
    assert body["response_format"]["json_schema"]["name"] == "Plan"
    prompt = prompt_of(body)
    assert "[bees.md#1] # Bees Honeybees pollinate about a third" in prompt and "for kids" in prompt
    assert "Volcanoes form" not in prompt
    assert "2 to 7 scenes" in prompt


def test_citing_an_unknown_passage_is_repaired(fake, references):
    bad = json.loads(plan_answer({"messages": [{"content": ""}]}))
    bad["scenes"][0]["sources"] = ["made-up.md#9"]
    fake.then(Reply(json.dumps(bad)))
    planned = plan_storyboard("Why bees matter", references=references)
    assert len(fake.chats) == 2
    assert (
        "unknown passage ids ['made-up.md#9']: cite only bees.md#1"
        in fake.chats[1]["messages"][-1]["content"]
    )
    assert all(s.sources for s in planned.storyboard.scenes)


def test_a_too_long_scene_is_sent_back_to_be_split(fake):
    long = json.loads(plan_answer({"messages": [{"content": ""}]}))
    long["scenes"][1]["narration"] = "word " * 45
    fake.then(Reply(json.dumps(long)))
    plan_storyboard("Why bees matter")
    assert "45 words is too long for one scene" in fake.chats[1]["messages"][-1]["content"]


def test_topic_mode_without_an_llm_fails_with_the_settings_to_set(no_llm):
    with pytest.raises(
        ConfigError, match=r"no LLM configured.*LLM_BASE_URL.*OPENAI_API_KEY.*GROQ_API_KEY.*OLLAMA"
    ):
        plan_storyboard("Why bees matter")


def test_an_empty_topic(fake):
    with pytest.raises(InputError, match="topic is empty"):
        plan_storyboard("  ")
    assert fake.chats == []
