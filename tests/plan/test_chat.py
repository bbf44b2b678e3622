"""Chat modes over one client: general, planner, editor (edits applied, validated), scripter (streamed)."""

from __future__ import annotations

import json

import pytest

from reelforge.errors import InputError
from reelforge.plan.chat import ChatRequest, Edit, apply_edits, chat, chat_models, chat_stream
from reelforge.storyboard import Scene, Storyboard
from tests.fakes.openai_compatible import Reply

BOARD = Storyboard(
    title="Rivers",
    model="motion",
    scenes=[
        Scene(narration="Every river starts as a drop of rain.", visual="rain on a mountain"),
        Scene(narration="Drop by drop, it carves stone.", visual="a stream over rocks"),
        Scene(narration="At last it reaches the sea.", visual="a delta from above"),
    ],
)


def ask(mode: str, text: str, **extra) -> ChatRequest:
    return ChatRequest(mode=mode, messages=[{"role": "user", "content": text}], **extra)


def test_general_mode_answers_in_text(fake):
    fake.then(Reply("Open with a question, then show the answer."))
    reply = chat(ask("general", "How do I hook viewers?"))
    assert reply.text == "Open with a question, then show the answer." and reply.model == "fake-small"
    sent = fake.chats[0]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][1]["content"] == "How do I hook viewers?" and "response_format" not in sent


def test_scripter_streams_narration(fake):
    fake.then(Reply("Rivers begin as rain. They end in the sea."))
    pieces = list(
        chat_stream(ask("scripter", "Narration about rivers", options={"voice": {"language": "es"}}))
    )
    assert len(pieces) == 9 and "".join(pieces) == "Rivers begin as rain. They end in the sea."
    sent = fake.chats[0]
    assert sent["stream"] is True and "narration" in sent["messages"][0]["content"]
    assert "language es" in sent["messages"][0]["content"]
    with pytest.raises(InputError, match="streaming is for general and scripter"):
        chat_stream(ask("planner", "bees"))


def test_planner_mode_returns_a_storyboard_to_render(fake):
    reply = chat(
        ChatRequest(
            mode="planner",
            messages=[
                {"role": "user", "content": "I want a video for kids."},
                {"role": "assistant", "content": "About what?"},
                {"role": "user", "content": "Why bees matter"},
            ],
            options={"model": "motion", "seconds": 20},
        )
    )
    board = reply.storyboard
    assert board is not None and len(board.scenes) == 3 and board.model == "motion"
    assert reply.text.startswith("Why Bees Matter: 3 scenes")
    prompt = fake.chats[0]["messages"][1]["content"]
    assert prompt.startswith("Topic: Why bees matter") and "user: I want a video for kids." in prompt


def test_editor_mode_returns_edits_and_the_edited_storyboard(fake):
    edits = [
        {"op": "replace", "path": "/scenes/1/narration", "value": "Grain by grain, water wears stone away.",
         "from": "", "reason": "more vivid"},
        {"op": "add", "path": "/scenes/3", "value": "And the rain begins again.", "from": "", "reason": ""},
        {"op": "replace", "path": "/scenes/3/transition", "value": "circleopen", "from": "", "reason": ""},
    ]  # fmt: skip
    fake.then(Reply(json.dumps({"summary": "Sharper middle, looping end.", "edits": edits})))
    reply = chat(ask("editor", "Make it loop", storyboard=BOARD))
    board = reply.storyboard
    assert reply.text == "Sharper middle, looping end." and len(reply.edits) == 3
    assert [s.narration for s in board.scenes] == [
        "Every river starts as a drop of rain.",
        "Grain by grain, water wears stone away.",
        "At last it reaches the sea.",
        "And the rain begins again.",
    ]
    assert (
        board.scenes[3].transition == "circleopen" and board.scenes[3].visual == "And the rain begins again."
    )
    sent = fake.chats[0]
    assert sent["response_format"]["json_schema"]["name"] == "EditPlan"
    assert "Every river starts as a drop of rain." in sent["messages"][0]["content"]  # the storyboard


def test_an_edit_that_does_not_apply_is_repaired(fake):
    wrong = {"op": "remove", "path": "/scenes/7", "value": "", "from": "", "reason": ""}
    right = {"op": "remove", "path": "/scenes/2", "value": "", "from": "", "reason": ""}
    fake.then(Reply(json.dumps({"summary": "Shorter.", "edits": [wrong]})))
    fake.then(Reply(json.dumps({"summary": "Shorter.", "edits": [right]})))
    reply = chat(ask("editor", "Drop the last scene", storyboard=BOARD))
    assert len(reply.storyboard.scenes) == 2
    assert "edits[0] (remove /scenes/7): there are 3 scenes" in fake.chats[1]["messages"][-1]["content"]


def test_editor_mode_needs_a_storyboard(fake):
    with pytest.raises(InputError, match="editor mode needs the storyboard"):
        chat(ask("editor", "shorter"))


def test_apply_edits_moves_removes_and_validates():
    moved = apply_edits(BOARD, [Edit(op="move", from_="/scenes/2", path="/scenes/0")])
    assert [s.visual for s in moved.scenes] == [
        "a delta from above",
        "rain on a mountain",
        "a stream over rocks",
    ]
    assert BOARD.scenes[0].visual == "rain on a mountain"  # the original is untouched
    timed = apply_edits(BOARD, [Edit(op="replace", path="/scenes/0/duration", value="6.5"),
                                Edit(op="replace", path="/title", value="Rivers, briefly")])  # fmt: skip
    assert timed.scenes[0].duration == 6.5 and timed.title == "Rivers, briefly"
    for edit, needle in [
        (
            Edit(op="replace", path="/scenes/0/transition", value="spin"),
            "scenes.0.transition: Input should be",
        ),
        (Edit(op="replace", path="/scenes/0/clip", value="x.mp4"), "field one of narration"),
        (Edit(op="replace", path="/scenes/0/narration", value="  "), "narration is empty"),
        (Edit(op="replace", path="/scenes/0/duration", value="long"), "duration must be seconds or `fit`"),
        (Edit(op="remove", path="/scenes/3"), "edits[0] (remove /scenes/3): there are 3 scenes"),
        (Edit(op="add", path="/scene/1", value="x"), "'/scene/1' is not /scenes/<index>"),
    ]:
        with pytest.raises(InputError) as caught:
            apply_edits(BOARD, [edit])
        assert needle in str(caught.value)


def test_chat_models(fake):
    assert chat_models() == ["fake-large", "fake-small"]
