"""Chat modes over the one LLM client: general, planner (a storyboard to render), editor (concrete edits to a
storyboard, as a JSON-patch-like list the user applies) and scripter (narration only).

`chat(ChatRequest) -> ChatReply` and `chat_stream(ChatRequest) -> text deltas` are what the CLI and the
API (`POST /api/v1/chat`) call; `chat_models()` answers `GET /api/v1/chat/models`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from reelforge.errors import InputError
from reelforge.plan.llm import LLMClient, Message, describe
from reelforge.plan.planner import PlanOptions, plan_storyboard
from reelforge.storyboard import Storyboard

Mode = Literal["general", "planner", "editor", "scripter"]
STREAMING_MODES = ("general", "scripter")
EDITABLE = ("narration", "visual", "on_screen_text", "transition", "duration", "model", "fit")
"""Scene fields an edit may replace (plus the storyboard's `/title`)."""

SYSTEMS: dict[str, str] = {
    "general": "You are reelforge's assistant for making short videos: ideas, hooks, structure, style. "
    "Answer briefly and concretely.",
    "scripter": "You write narration for short videos: spoken sentences only, no headings, no scene "
    "directions, no emojis, no hashtags. 3-8 seconds of speech per sentence; hook first, point last.",
    "editor": "You edit video storyboards. Given the storyboard (JSON) and the user's request, answer with "
    "a short summary and a list of edits. Each edit is one of: "
    '{"op": "replace", "path": "/scenes/<i>/<field>", "value": "..."} with field one of '
    + ", ".join(EDITABLE)
    + ', or "/title"; {"op": "add", "path": "/scenes/<i>", "value": "<narration of a new scene>"} '
    '(then replace its visual); {"op": "remove", "path": "/scenes/<i>"}; '
    '{"op": "move", "from": "/scenes/<i>", "path": "/scenes/<j>"}. Indexes are 0-based and refer to the '
    "storyboard as it is after the edits before. Use empty strings for unused fields. Change only what the "
    "request asks.",
}


class ChatMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: Annotated[str, Field(min_length=1)]


class ChatRequest(BaseModel):
    """A chat turn: the conversation so far (last message from the user) in one mode."""

    mode: Mode = "general"
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    model: str = ""
    """LLM model id; empty for the configured LLM_MODEL."""
    storyboard: Storyboard | None = None
    """The storyboard the editor mode edits."""
    options: PlanOptions = PlanOptions()
    """Video model, output and voice of the planner mode's storyboard."""

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, value: list[ChatMessage]) -> list[ChatMessage]:
        if value[-1].role != "user":
            raise ValueError("the last message must be the user's")
        return value


class Edit(BaseModel):
    """One storyboard edit, JSON-patch style."""

    model_config = ConfigDict(populate_by_name=True)

    op: Literal["replace", "add", "remove", "move"]
    path: str = Field(description="/title, /scenes/<i> or /scenes/<i>/<field>")
    value: str = Field("", description="New value (replace) or the new scene's narration (add); else empty.")
    from_: str = Field("", alias="from", description="Source path of a move; else empty.")
    reason: str = Field("", description="Why, in a few words.")


class EditPlan(BaseModel):
    """The editor's answer: a summary and edits that must apply to the storyboard."""

    summary: str
    edits: list[Edit]

    @field_validator("edits")
    @classmethod
    def _applies(cls, value: list[Edit], info: ValidationInfo) -> list[Edit]:
        board = (info.context or {}).get("storyboard")
        if board is not None:
            try:
                apply_edits(board, value)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value


class ChatReply(BaseModel):
    mode: Mode
    model: str
    text: str
    """The answer (general, scripter), or a summary of the plan or of the edits."""
    storyboard: Storyboard | None = None
    """planner: the planned storyboard; editor: the storyboard with the edits applied."""
    edits: list[Edit] = []


def chat(request: ChatRequest, client: LLMClient | None = None) -> ChatReply:
    """One chat turn in the request's mode; the configured LLM unless `client` is given."""
    if request.mode == "editor" and request.storyboard is None:
        raise InputError("editor mode needs the storyboard to edit: give `storyboard` (--storyboard FILE)")
    client = client or LLMClient.from_settings(model=request.model)
    model = client.endpoint.model
    if request.mode == "planner":
        history = "\n".join(f"{m.role}: {m.content}" for m in request.messages[:-1])
        planned = plan_storyboard(
            request.messages[-1].content, request.options, context=history, client=client
        )
        board = planned.storyboard
        text = f"{board.title}: {len(board.scenes)} scenes\n" + "\n".join(
            f"{i + 1}. {s.narration}" for i, s in enumerate(board.scenes)
        )
        return ChatReply(mode="planner", model=model, text=text, storyboard=board)
    if request.mode == "editor":
        board = request.storyboard
        messages = _messages(request, extra=f"Storyboard:\n{board.model_dump_json(exclude_defaults=True)}")
        answer = client.ask(messages, EditPlan, what="storyboard edits", context={"storyboard": board})
        edited = apply_edits(board, answer.edits)
        return ChatReply(
            mode="editor", model=model, text=answer.summary, storyboard=edited, edits=answer.edits
        )
    return ChatReply(mode=request.mode, model=model, text=client.complete(_messages(request)).strip())


def chat_stream(request: ChatRequest, client: LLMClient | None = None) -> Iterator[str]:
    """The answer as text deltas (general and scripter modes)."""
    if request.mode not in STREAMING_MODES:
        raise InputError(
            f"mode {request.mode!r} answers with a storyboard: streaming is for general and scripter"
        )
    client = client or LLMClient.from_settings(model=request.model)
    return client.stream(_messages(request))


def chat_models(client: LLMClient | None = None) -> list[str]:
    """The models the configured endpoint serves."""
    return (client or LLMClient.from_settings()).models()


def _messages(request: ChatRequest, extra: str = "") -> list[Message]:
    system = SYSTEMS[request.mode]
    if request.mode == "scripter":
        system += f" Write in the language {request.options.voice.language}."
    if extra:
        system += "\n\n" + extra
    return [
        {"role": "system", "content": system},
        *({"role": m.role, "content": m.content} for m in request.messages),
    ]


_SCENE = re.compile(r"^/scenes/(\d+)$")
_FIELD = re.compile(r"^/scenes/(\d+)/(\w+)$")


def apply_edits(board: Storyboard, edits: list[Edit]) -> Storyboard:
    """`board` with `edits` applied in order, validated as a storyboard; InputError naming the bad edit."""
    data = board.model_dump(mode="python")
    scenes: list[dict[str, Any]] = data["scenes"]
    for number, edit in enumerate(edits):
        where = f"edits[{number}] ({edit.op} {edit.path})"
        try:
            _apply(data, scenes, edit)
        except (IndexError, ValueError) as exc:
            raise InputError(f"{where}: {exc}") from None
    try:
        return Storyboard.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"the edited storyboard is invalid: {describe(exc)}") from None


def _apply(data: dict[str, Any], scenes: list[dict[str, Any]], edit: Edit) -> None:
    def index(path: str, *, end: bool = False) -> int:
        match = _SCENE.match(path)
        if not match:
            raise ValueError(f"{path!r} is not /scenes/<index>")
        i = int(match.group(1))
        if not 0 <= i < len(scenes) + end:
            raise IndexError(f"there are {len(scenes)} scenes (indexes from 0)")
        return i

    if edit.op == "replace":
        if edit.path == "/title":
            data["title"] = edit.value
            return
        match = _FIELD.match(edit.path)
        if not match or match.group(2) not in EDITABLE:
            raise ValueError(
                f"replace takes /title or /scenes/<i>/<field> with field one of {', '.join(EDITABLE)}"
            )
        i = index(f"/scenes/{match.group(1)}")
        field = match.group(2)
        if field == "duration":
            scenes[i][field] = _duration(edit.value)
        elif field == "model":
            scenes[i][field] = edit.value or None  # empty: the storyboard's model
        else:
            scenes[i][field] = edit.value
    elif edit.op == "add":
        scenes.insert(index(edit.path, end=True), {"narration": edit.value, "visual": edit.value})
    elif edit.op == "remove":
        if len(scenes) == 1:
            raise ValueError("cannot remove the only scene")
        scenes.pop(index(edit.path))
    else:  # move
        moved = scenes.pop(index(edit.from_))
        scenes.insert(index(edit.path, end=True), moved)


def _duration(value: str) -> float | str:
    if value.strip() == "fit":
        return "fit"
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"duration must be seconds or `fit` (got {value!r})") from None
