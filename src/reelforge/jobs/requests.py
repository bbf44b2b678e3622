"""What a client may ask for (`POST /api/v1/videos/generate`), and the storyboard it turns into."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reelforge.errors import InputError
from reelforge.storyboard import Aspect, OutputSpec, Quality, Storyboard, VoiceSpec

Priority = Literal["low", "normal", "high"]
PRIORITIES: dict[str, int] = {"high": 1, "normal": 5, "low": 9}
"""API priority -> queue priority (DBOS dequeues lower numbers first)."""


class VideoRequest(BaseModel):
    """One video: exactly one of `topic`, `script` or `storyboard`, plus how to render it."""

    model_config = ConfigDict(extra="forbid")

    topic: Annotated[str | None, Field(max_length=500)] = None
    context: Annotated[str, Field(max_length=20_000)] = ""
    """Background for a topic: facts, tone, audience."""
    seconds: Annotated[int, Field(ge=10, le=300)] = 45
    """Target length of a video planned from a topic."""
    script: Annotated[str | None, Field(min_length=1, max_length=20_000)] = None
    storyboard: dict[str, Any] | None = None
    title: Annotated[str, Field(max_length=200)] = ""
    model: Annotated[str | None, Field(max_length=100)] = None
    """Video model for every scene; default: the storyboard's own, else `motion`."""
    quality: Quality | None = None
    aspect: Aspect | None = None
    resolution: Annotated[int | None, Field(ge=240, le=2160)] = None
    subtitles: bool | None = None
    thumbnail: bool = True
    style: Annotated[str, Field(max_length=200)] = ""
    """A visual style added to every scene's prompt (for example `watercolour, soft light`)."""
    priority: Priority = "normal"
    voice: VoiceSpec | None = None
    music: Annotated[str | None, Field(pattern="^(builtin|none)$")] = None
    """`builtin` or `none` (files on the server cannot be named through the API)."""
    callback_url: Annotated[str | None, Field(max_length=2000)] = None
    """Webhook: a signed POST here when the job succeeds or fails."""

    @model_validator(mode="after")
    def _one_source(self) -> VideoRequest:
        given = [name for name in ("topic", "script", "storyboard") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of topic, script or storyboard (got {', '.join(given) or 'none'})"
            )
        return self


def build_storyboard(request: VideoRequest) -> Storyboard:
    """The storyboard a request renders; InputError naming the field when it cannot be made."""
    if request.topic is not None:
        from reelforge.plan.planner import PlanOptions, plan_storyboard

        options = PlanOptions(
            model=request.model or "motion",
            output=_output(request, OutputSpec()),
            voice=request.voice or VoiceSpec(),
            title=request.title,
            seconds=request.seconds,
        )
        return _styled(request, plan_storyboard(request.topic, options, context=request.context).storyboard)
    if request.script is not None:
        from reelforge.plan.script import guess_language, storyboard_from_script

        voice = request.voice or VoiceSpec(language=guess_language(request.script))
        board = storyboard_from_script(
            request.script,
            model=request.model or "motion",
            output=_output(request, OutputSpec()),
            title=request.title,
            voice=voice,
        )
    else:
        board = _validated(request.storyboard or {})
        board.output = _output(request, board.output)
        if request.voice is not None:
            board.voice = request.voice
        if request.model:
            board.model = request.model
            for scene in board.scenes:
                scene.model = None
        if request.title:
            board.title = request.title
        board.model = board.model or "motion"
    return _styled(request, board)


def _styled(request: VideoRequest, board: Storyboard) -> Storyboard:
    """The request's music, subtitles and style applied to the board, which is then checked."""
    if request.music is not None:
        board.music.track = request.music
    if request.subtitles is not None:
        board.captions.enabled = request.subtitles
    if request.style:
        for scene in board.scenes:
            scene.visual = f"{scene.visual or scene.narration}, {request.style}"
    return checked(board)


def checked(board: Storyboard) -> Storyboard:
    """Refuse what would read files on the server: scenes' own clips and music files."""
    for index, scene in enumerate(board.scenes):
        if scene.clip is not None:
            raise InputError(f"storyboard.scenes[{index}].clip: server files cannot be used through the API")
        if not board.model_for(scene):
            raise InputError(f"storyboard.scenes[{index}]: no video model: set `model`")
    if board.music.track not in ("builtin", "none"):
        raise InputError("storyboard.music.track: only `builtin` or `none` through the API")
    return board


def _validated(data: dict[str, Any]) -> Storyboard:
    try:
        return Storyboard.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"storyboard.{field}: {first['msg'].removeprefix('Value error, ')}") from None


def _output(request: VideoRequest, base: OutputSpec) -> OutputSpec:
    changes = {"aspect": request.aspect, "quality": request.quality, "resolution": request.resolution}
    try:
        return OutputSpec.model_validate(
            base.model_dump() | {k: v for k, v in changes.items() if v is not None}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{first['loc'][-1]}: {first['msg'].removeprefix('Value error, ')}") from None
