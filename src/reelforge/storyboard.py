"""The storyboard: what a video is made of. Pydantic models plus a YAML/JSON loader whose errors name
the field and the line it is on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelforge.errors import InputError, StoryboardError

Aspect = Literal["9:16", "16:9", "1:1"]
Quality = Literal["low", "medium", "high", "ultra"]
Transition = Literal[
    "cut",
    "fade",
    "fadeblack",
    "fadewhite",
    "dissolve",
    "wipeleft",
    "wiperight",
    "wipeup",
    "wipedown",
    "slideleft",
    "slideright",
    "slideup",
    "slidedown",
    "smoothleft",
    "smoothright",
    "smoothup",
    "smoothdown",
    "circleopen",
    "circleclose",
    "radial",
    "zoomin",
    "pixelize",
]
"""Transitions into a scene: `cut`, or any of ffmpeg's xfade transitions listed here."""

ASPECT_RATIOS: dict[str, tuple[int, int]] = {"9:16": (9, 16), "16:9": (16, 9), "1:1": (1, 1)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutputSpec(_Strict):
    """Frame size, rate and encode quality of the finished video."""

    aspect: Aspect = "9:16"
    resolution: Annotated[int, Field(ge=240, le=2160)] = 1080
    """The short side in pixels: 1080 gives 1080x1920 for 9:16."""
    fps: Literal[24, 25, 30, 50, 60] = 30
    quality: Quality = "medium"

    @field_validator("resolution")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even (H.264 with 4:2:0 colour needs even sizes)")
        return value

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, both even."""
        w, h = ASPECT_RATIOS[self.aspect]
        short = self.resolution
        if w <= h:
            return short, _even(short * h / w)
        return _even(short * w / h), short


class VoiceSpec(_Strict):
    """Which engine speaks the narration and how."""

    engine: str = "espeak"
    voice: str = ""
    """Engine-specific voice name; empty means the default voice for `language`."""
    language: str = "en"
    rate: Annotated[int, Field(ge=80, le=450)] = 165
    """Words per minute."""
    pause: Annotated[float, Field(ge=0, le=3)] = 0.35
    """Silence after each scene's narration, in seconds, before the next scene starts."""

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from reelforge.voice import engine_names

        if value not in engine_names():
            raise ValueError(f"unknown voice engine: choose one of {', '.join(engine_names())}")
        return value


class MusicSpec(_Strict):
    """Background music, ducked under the voice."""

    track: str = "builtin"
    """`builtin` (synthesized here, royalty-free), `none`, or a path to an audio file."""
    volume: Annotated[float, Field(ge=0, le=1)] = 0.35
    """Music level relative to full scale before ducking and loudness normalisation."""


class CaptionStyle(_Strict):
    """Burned-in word-by-word captions and the SRT/WebVTT sidecars."""

    enabled: bool = True
    font: str = "Noto Sans"
    size: Annotated[float, Field(gt=0, le=0.2)] = 0.055
    """Font size as a fraction of the frame height."""
    color: str = "#FFFFFF"
    highlight: str = "#FFD400"
    """Colour of the word being spoken."""
    max_words: Annotated[int, Field(ge=1, le=12)] = 4
    """Words shown at once."""
    position: Literal["bottom", "middle", "top"] = "bottom"

    @field_validator("color", "highlight")
    @classmethod
    def _hex(cls, value: str) -> str:
        digits = value.removeprefix("#")
        if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError("must be a colour like #FFD400")
        return "#" + digits.upper()


class Scene(_Strict):
    """One narrated shot."""

    narration: Annotated[str, Field(min_length=1)]
    visual: str = ""
    """The visual prompt given to the video model."""
    model: str | None = None
    """Video model id; inherits the storyboard's `model` when absent."""
    clip: Path | None = None
    """Your own footage for this scene instead of a generated clip (relative to the storyboard file)."""
    image: Path | None = None
    """A reference image the generated clip starts from (image-to-video; relative to the storyboard file):
    the same image in several scenes keeps a character the same across them."""
    duration: float | Literal["fit"] = "fit"
    """Seconds, or `fit` to last as long as the narration plus the voice's pause."""
    on_screen_text: str = ""
    transition: Transition = "fade"
    """How this scene enters from the previous one (ignored for the first scene)."""
    fit: Literal["crop", "blur"] = "crop"
    """How a clip of another aspect fills the frame: crop to fill, or fit over a blurred copy of itself."""
    sources: list[str] = []
    """Ids of the reference passages the planner drew on for this scene (`notes.md#3`), kept in metadata."""

    @field_validator("narration")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("narration is empty: write what the voice says in this scene")
        return value.strip()

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: float | str) -> float | str:
        if isinstance(value, float | int) and not 0.5 <= value <= 120:
            raise ValueError("must be between 0.5 and 120 seconds, or `fit`")
        return value


class Storyboard(_Strict):
    """A whole video: output settings, voice, music, captions and the scenes in order."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    model: str | None = None
    """Default video model for scenes that name none."""
    output: OutputSpec = OutputSpec()
    voice: VoiceSpec = VoiceSpec()
    music: MusicSpec = MusicSpec()
    captions: CaptionStyle = CaptionStyle()
    transition_duration: Annotated[float, Field(ge=0.1, le=2.0)] = 0.5
    scenes: Annotated[list[Scene], Field(min_length=1)]

    def model_for(self, scene: Scene) -> str:
        """The model id a scene uses: `footage` for your own clip, else its model or the default."""
        if scene.clip is not None:
            return "footage"
        return scene.model or self.model or ""


def _even(value: float) -> int:
    return round(value / 2) * 2


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without base-60 numbers, so `aspect: 9:16` stays the string "9:16" (not 556)."""


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_storyboard(path: Path) -> Storyboard:
    """Read a storyboard from YAML or JSON; relative clip, image and music paths are resolved against its
    folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such storyboard file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the storyboard ({exc})") from None
    board = parse_storyboard(text, source=str(path))
    for scene in board.scenes:
        if scene.clip is not None and not scene.clip.is_absolute():
            scene.clip = (path.parent / scene.clip).resolve()
        if scene.image is not None and not scene.image.is_absolute():
            scene.image = (path.parent / scene.image).resolve()
    track = board.music.track
    if track not in ("builtin", "none") and not Path(track).expanduser().is_absolute():
        board.music.track = str((path.parent / track).resolve())
    return board


def parse_storyboard(text: str, *, source: str = "<storyboard>") -> Storyboard:
    """Validate storyboard text; errors read `source:LINE: field.path: what is wrong`."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark, opened = exc.problem_mark or exc.context_mark, exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        context = ""
        if exc.context and opened and opened != mark:
            context = f" ({exc.context} on line {opened.line + 1})"
        problem = exc.problem or exc.context
        raise StoryboardError(f"{source}{line}: malformed YAML: {problem}{context}") from None
    except yaml.YAMLError as exc:
        raise StoryboardError(f"{source}: malformed YAML: {exc}") from None
    if not isinstance(data, dict):
        raise StoryboardError(f"{source}: a storyboard must be a mapping with `title` and `scenes`")
    try:
        board = Storyboard.model_validate(data)
    except ValidationError as exc:
        raise StoryboardError(_describe(exc, node, source)) from None
    for index, scene in enumerate(board.scenes):
        if not board.model_for(scene):
            line = _line_of(node, ["scenes", index])
            raise StoryboardError(
                f"{source}:{line}: scenes[{index}]: no video model: set `model:` "
                "on the scene or the storyboard (for example `model: motion`), or give a `clip:` of your own"
            )
    return board


def _describe(exc: ValidationError, root: yaml.Node | None, source: str) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = [part for part in first["loc"] if not (isinstance(part, str) and "[" in part)]
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line else source
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "literal_error":
        message = f"{message} (got {first['input']!r})"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {field or 'storyboard'}: {message}{more}"


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """The 1-based line of the deepest YAML node that `loc` reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
