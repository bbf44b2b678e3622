"""Topic mode: a topic (+ context and reference documents) -> a Storyboard, planned by an LLM.

The LLM writes a reduced plan (title; per scene narration, visual prompt, on-screen text, seconds and the
reference passages it used), validated against the passages it was given. The video model, output,
voice and music come from the user's options, never from the LLM.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from reelforge.errors import InputError
from reelforge.plan.llm import LLMClient, Message
from reelforge.plan.references import Passage, load_passages, retrieve
from reelforge.storyboard import OutputSpec, Scene, Storyboard, VoiceSpec

MAX_SCENE_WORDS = 30
"""About 11 s of speech at 165 words per minute: a longer scene narration is sent back to be split."""
PASSAGES = 6
"""Reference passages put in the prompt."""


class PlannedScene(BaseModel):
    """One scene as the LLM plans it."""

    narration: Annotated[str, Field(min_length=1, description="Spoken words: 1-2 sentences, 8-22 words.")]
    visual: str = Field(description="Prompt for the video model: subject, setting, motion, camera, light.")
    on_screen_text: str = Field(description="Short overlay text, at most 6 words; empty for none.")
    seconds: Annotated[float, Field(ge=2, le=12, description="Planned length in seconds, 3 to 8.")]
    sources: list[str] = Field(description="Ids of the reference passages this scene uses; empty if none.")

    @field_validator("narration")
    @classmethod
    def _short(cls, value: str) -> str:
        words = len(value.split())
        if not value.strip():
            raise ValueError("narration is empty")
        if words > MAX_SCENE_WORDS:
            raise ValueError(f"{words} words is too long for one scene: split it (at most {MAX_SCENE_WORDS})")
        return value.strip()

    @field_validator("sources")
    @classmethod
    def _known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("passages", set())
        unknown = [v for v in value if v not in known]
        if unknown:
            allowed = ", ".join(sorted(known)) or "none: leave sources empty"
            raise ValueError(f"unknown passage ids {unknown}: cite only {allowed}")
        return list(dict.fromkeys(value))


class Plan(BaseModel):
    """A video plan: a title and the scenes in order."""

    title: Annotated[str, Field(min_length=1, max_length=100, description="Catchy title, at most 100 chars.")]
    scenes: Annotated[list[PlannedScene], Field(min_length=1, max_length=24)]

    @field_validator("scenes")
    @classmethod
    def _count(cls, value: list[PlannedScene], info: ValidationInfo) -> list[PlannedScene]:
        low, high = (info.context or {}).get("scene_range", (1, 24))
        if not low <= len(value) <= high:
            raise ValueError(f"{len(value)} scenes: plan {low} to {high} scenes")
        return value


class PlanOptions(BaseModel):
    """What the user chose: the LLM plans the words and pictures, not these."""

    model: str = "motion"
    output: OutputSpec = OutputSpec()
    voice: VoiceSpec = VoiceSpec()
    seconds: Annotated[int, Field(ge=10, le=300)] = 45
    """Target length of the video."""
    title: str = ""
    """A title of your own instead of the planned one."""


class PlannedStoryboard(BaseModel):
    """The storyboard plus what it was planned from."""

    storyboard: Storyboard
    plan: Plan
    passages: list[Passage]
    """The reference passages the LLM was shown (those cited are in each scene's `sources`)."""


SYSTEM = """You plan short vertical videos (YouTube Shorts, TikTok, Reels) that explain one topic well.
Write narration that is spoken aloud: plain words, no lists, no emojis, one idea per scene, each scene 3-8 s
of speech (8-22 words). The first scene hooks the viewer; the last one lands the point. For each scene write
a concrete visual prompt for a text-to-video model (subject, setting, motion, camera, light; no text in the
picture) and a short on-screen text. When reference passages are given, build the facts on them and list the
ids of the passages each scene uses in `sources`; never cite an id that was not given."""


def scene_range(seconds: int) -> tuple[int, int]:
    """How many scenes of 3-8 s fit `seconds`, with some slack."""
    return max(1, seconds // 9), max(2, -(-seconds // 3))


def plan_messages(
    topic: str, options: PlanOptions, passages: list[Passage], context: str = ""
) -> list[Message]:
    low, high = scene_range(options.seconds)
    parts = [
        f"Topic: {topic.strip()}",
        f"Length: about {options.seconds} seconds in total, {low} to {high} scenes.",
        f"Language of the narration and on-screen text: {options.voice.language}.",
    ]
    if context.strip():
        parts.append(f"Context from the user:\n{context.strip()}")
    if passages:
        listing = "\n".join(f"[{p.id}] {p.text}" for p in passages)
        parts.append(f"Reference passages (cite their ids in `sources`):\n{listing}")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def plan_storyboard(
    topic: str,
    options: PlanOptions | None = None,
    *,
    context: str = "",
    references: Sequence[Path] = (),
    client: LLMClient | None = None,
) -> PlannedStoryboard:
    """Plan a storyboard for `topic`; ConfigError naming the settings when no LLM is configured."""
    if not topic.strip():
        raise InputError("the topic is empty: say what the video is about")
    options = options or PlanOptions()
    passages = retrieve(load_passages(list(references)), f"{topic} {context}", k=PASSAGES)
    client = client or LLMClient.from_settings()
    validation: dict[str, Any] = {
        "passages": {p.id for p in passages},
        "scene_range": scene_range(options.seconds),
    }
    messages = plan_messages(topic, options, passages, context)
    plan = client.ask(messages, Plan, what="storyboard plan", context=validation)
    return PlannedStoryboard(storyboard=to_storyboard(plan, options), plan=plan, passages=passages)


def to_storyboard(plan: Plan, options: PlanOptions) -> Storyboard:
    """The plan as a renderable storyboard with the user's model, output and voice; scenes last as long as
    their narration (`fit`): the planned seconds guided the writing, the voice decides the timing."""
    return Storyboard(
        title=options.title or plan.title,
        model=options.model,
        output=options.output,
        voice=options.voice,
        scenes=[
            Scene(narration=s.narration, visual=s.visual, on_screen_text=s.on_screen_text, sources=s.sources)
            for s in plan.scenes
        ],
    )
