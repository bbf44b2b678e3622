"""The metadata writer: title, description, hashtags per platform and thumbnail text for a storyboard.

An LLM drafts them (JSON-schema output) when one is configured; without one a deterministic draft comes
from the storyboard itself (its title and most frequent keywords). Either way the platforms' limits are
enforced here, in code: lengths cut at word boundaries, hashtags cleaned, deduplicated and counted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Annotated

from pydantic import BaseModel, Field

from reelforge.plan.llm import LLMClient
from reelforge.plan.references import tokens
from reelforge.storyboard import Storyboard

YOUTUBE_TITLE = 100
"""Characters in a YouTube title."""
YOUTUBE_DESCRIPTION = 5000
"""Bytes (UTF-8) in a YouTube description."""
YOUTUBE_HASHTAGS = 15
"""YouTube ignores every hashtag of a video that has more than 15."""
CAPTION = 2200
"""Characters in a TikTok or Instagram caption, hashtags included."""
INSTAGRAM_HASHTAGS = 30
THUMBNAIL_WORDS = 5
THUMBNAIL_CHARS = 32
KEYWORDS = 8


class Draft(BaseModel):
    """What is written before the limits are applied (by the LLM or from the storyboard)."""

    title: str = Field(description="Catchy title, at most 90 characters, no hashtags.")
    description: str = Field(description="2-4 sentences on what the video shows, for YouTube.")
    caption: str = Field(description="One or two punchy sentences for TikTok and Instagram, no hashtags.")
    hashtags: list[str] = Field(description="8-15 relevant hashtags, most relevant first, without '#'.")
    thumbnail_text: str = Field(description="2-5 words for the thumbnail, no hashtags.")


class YouTubePost(BaseModel):
    title: str
    description: str
    hashtags: list[str]


class CaptionPost(BaseModel):
    caption: str
    """The whole caption, hashtags included."""
    hashtags: list[str]


class PublishMetadata(BaseModel):
    """Ready-to-post text per platform, all within the platform's limits."""

    title: str
    description: str
    thumbnail_text: str
    hashtags: list[str]
    youtube: YouTubePost
    tiktok: CaptionPost
    instagram: CaptionPost
    written_by: Annotated[str, Field(description="`storyboard` or `llm:<model>`")]


def write_metadata(board: Storyboard, client: LLMClient | None = None) -> PublishMetadata:
    """Metadata for `board`: drafted by `client` when given, else from the storyboard; limits enforced."""
    if client is None:
        return enforce(fallback_draft(board), "storyboard")
    scenes = "\n".join(f"- {s.narration}" for s in board.scenes)
    messages = [
        {
            "role": "system",
            "content": "You write titles, descriptions, captions and hashtags for short videos on YouTube "
            "Shorts, TikTok and Instagram Reels. Be specific and accurate to the narration; no clickbait "
            f"lies. Write in the narration's language ({board.voice.language}).",
        },
        {"role": "user", "content": f"Video title: {board.title}\nNarration by scene:\n{scenes}"},
    ]
    draft = client.ask(messages, Draft, what="video metadata")
    return enforce(draft, f"llm:{client.endpoint.model}")


def fallback_draft(board: Storyboard) -> Draft:
    """A draft from the storyboard alone: its title, narration and most frequent keywords."""
    narration = " ".join(s.narration for s in board.scenes)
    first = board.scenes[0]
    return Draft(
        title=board.title,
        description=narration,
        caption=first.narration,
        hashtags=keywords(f"{board.title} {board.title} {narration}"),
        thumbnail_text=first.on_screen_text or board.title,
    )


def keywords(text: str, count: int = KEYWORDS) -> list[str]:
    """The most frequent words of at least 4 letters (among equals, longer first, then first seen)."""
    words = [w for w in tokens(text) if len(w) >= 4 and not w.isdigit()]
    order = {w: i for i, w in reversed(list(enumerate(words)))}
    ranked = sorted(Counter(words).items(), key=lambda item: (-item[1], -len(item[0]), order[item[0]]))
    return [word for word, _ in ranked[:count]]


def enforce(draft: Draft, written_by: str) -> PublishMetadata:
    """Apply every platform's limits to a draft."""
    tags = hashtags(draft.hashtags)
    title = clip(clean(draft.title), YOUTUBE_TITLE) or "Untitled"
    description = clean(draft.description, keep_newlines=True)
    caption = clean(draft.caption, keep_newlines=True) or title
    thumb = clip(" ".join(clean(draft.thumbnail_text).split()[:THUMBNAIL_WORDS]), THUMBNAIL_CHARS)
    yt_tags = hashtags(["Shorts", *tags])[:YOUTUBE_HASHTAGS]
    yt_text = _with_tags(_no_angles(description), yt_tags, YOUTUBE_DESCRIPTION, in_bytes=True)
    tiktok_text = _with_tags(caption, tags, CAPTION)
    insta_tags = tags[:INSTAGRAM_HASHTAGS]
    insta_text = _with_tags(caption, insta_tags, CAPTION)
    return PublishMetadata(
        title=title,
        description=description,
        thumbnail_text=thumb or clip(title, THUMBNAIL_CHARS),
        hashtags=tags,
        youtube=YouTubePost(
            title=_no_angles(title), description=yt_text, hashtags=_tags_in(yt_text, yt_tags)
        ),
        tiktok=CaptionPost(caption=tiktok_text, hashtags=_tags_in(tiktok_text, tags)),
        instagram=CaptionPost(caption=insta_text, hashtags=_tags_in(insta_text, insta_tags)),
        written_by=written_by,
    )


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Text without control or invisible format characters; runs of spaces collapsed."""
    kept = "".join(
        c
        for c in text
        if (c == "\n" and keep_newlines)
        or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")
    )
    lines = [" ".join(line.split()) for line in kept.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def hashtags(raw: list[str]) -> list[str]:
    """`#Tag` forms of letters, digits and underscores only, deduplicated ignoring case, order kept; tags of
    digits alone are dropped (platforms do not link them)."""
    out: list[str] = []
    seen: set[str] = set()
    for item in raw:
        for piece in str(item).split("#"):
            tag = "".join(c for c in piece if c.isalnum() or c == "_")
            if tag and not tag.isdigit() and tag.casefold() not in seen:
                seen.add(tag.casefold())
                out.append(f"#{tag}")
    return out


def clip(text: str, limit: int, *, in_bytes: bool = False) -> str:
    """`text` within `limit` characters (or UTF-8 bytes), cut at a word boundary with an ellipsis when it
    is too long."""
    if _size(text, in_bytes) <= limit:
        return text
    room = limit - _size("…", in_bytes)
    out = ""
    for word in text.split(" "):
        candidate = f"{out} {word}" if out else word
        if _size(candidate.rstrip(), in_bytes) > room:
            break
        out = candidate
    if not out.strip():  # a single word longer than the limit: cut inside it
        out = text.encode()[:room].decode(errors="ignore") if in_bytes else text[:room]
    return out.rstrip(" ,;:-–—\n") + "…"


def _size(text: str, in_bytes: bool) -> int:
    return len(text.encode()) if in_bytes else len(text)


def _with_tags(text: str, tags: list[str], limit: int, *, in_bytes: bool = False) -> str:
    """`text`, a blank line and the tags, all within `limit`: the tags take at most a quarter of it, and
    the text is shortened (at a word boundary) to leave them room."""
    line = ""
    for tag in tags:
        candidate = f"{line} {tag}".strip()
        if _size(candidate, in_bytes) > limit // 4:
            break
        line = candidate
    if not line:
        return clip(text, limit, in_bytes=in_bytes)
    body = clip(text, limit - _size(f"\n\n{line}", in_bytes), in_bytes=in_bytes)
    return f"{body}\n\n{line}" if body else line


def _no_angles(text: str) -> str:
    """YouTube rejects `<` and `>` in titles and descriptions."""
    return text.replace("<", "").replace(">", "")


def _tags_in(caption: str, tags: list[str]) -> list[str]:
    present = set(caption.split())
    return [t for t in tags if t in present]
