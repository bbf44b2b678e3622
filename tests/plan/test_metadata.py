"""The metadata writer: every platform's limits measured on what it writes, with and without an LLM."""

from __future__ import annotations

import json
import re

from reelforge.plan.llm import LLMClient
from reelforge.plan.metadata import PublishMetadata, write_metadata
from reelforge.storyboard import Scene, Storyboard
from tests.fakes.openai_compatible import Reply

BOARD = Storyboard(
    title="How Rivers Shape the World",
    model="motion",
    scenes=[
        Scene(
            narration="Every river starts as a single drop of rain on a mountain.", on_screen_text="One drop"
        ),
        Scene(narration="Drop by drop, rivers carve canyons through solid stone."),
        Scene(narration="Rivers feed forests, farms and cities along their way to the sea."),
    ],
)
TAG = re.compile(r"^#\w+$")


def assert_within_limits(meta: PublishMetadata) -> None:
    yt = meta.youtube
    assert len(yt.title) <= 100 and "<" not in yt.title and ">" not in yt.title
    assert len(yt.description.encode()) <= 5000
    assert yt.hashtags[0] == "#Shorts" and len(yt.hashtags) <= 15
    assert len(meta.tiktok.caption) <= 2200
    assert len(meta.instagram.caption) <= 2200
    assert len(re.findall(r"(?:^|\s)#\w+", meta.instagram.caption)) <= 30
    for tags in (meta.hashtags, yt.hashtags, meta.tiktok.hashtags, meta.instagram.hashtags):
        assert all(TAG.match(t) for t in tags), tags
        assert len({t.casefold() for t in tags}) == len(tags)  # no duplicates, whatever the case
    for post in (meta.tiktok, meta.instagram):
        assert all(t in post.caption.split() for t in post.hashtags)
    assert all(t in yt.description.split() for t in yt.hashtags)
    assert len(meta.thumbnail_text) <= 32 and len(meta.thumbnail_text.split()) <= 5


def test_without_an_llm_metadata_comes_from_the_storyboard():
    meta = write_metadata(BOARD)
    assert meta == write_metadata(BOARD)  # deterministic
    assert meta.written_by == "storyboard"
    assert meta.title == meta.youtube.title == "How Rivers Shape the World"
    assert meta.hashtags[:3] == ["#rivers", "#drop", "#shape"] and "#canyons" in meta.hashtags
    assert meta.thumbnail_text == "One drop"
    assert meta.description.startswith("Every river starts") and meta.description.endswith("to the sea.")
    assert meta.tiktok.caption.startswith("Every river starts as a single drop")
    assert_within_limits(meta)


def test_the_llm_draft_is_held_to_every_platform_limit(fake):
    sentence = "Rivers carve the land élégamment over millions of years and feed every living thing. "
    fake.then(
        Reply(
            json.dumps(
                {
                    "title": "The <b>astonishing</b> story of rivers\u0007 " + "and water " * 30,
                    "description": sentence * 80,  # ~6,900 bytes
                    "caption": sentence * 40,  # ~3,400 characters
                    "hashtags": ["#Rivers", "rivers", "RIVERS", "water cycle", "#123", "c++", "naïve", "#a#b"]
                    + [f"tag{i}" for i in range(50)],
                    "thumbnail_text": "Rivers shape the whole wide world today",
                }
            )
        )
    )
    meta = write_metadata(BOARD, LLMClient.from_settings())
    assert meta.written_by == "llm:fake-small"
    assert_within_limits(meta)
    assert meta.hashtags[:6] == ["#Rivers", "#watercycle", "#c", "#naïve", "#a", "#b"]
    title = meta.youtube.title
    assert title.startswith("The bastonishing/b story of rivers and water") and title.endswith("water…")
    assert 90 <= len(title) <= 100  # cut between words, as late as the limit allows
    assert len(meta.youtube.description.encode()) > 4800 and "élégamment" in meta.youtube.description
    assert len(meta.tiktok.caption) > 2000 and meta.tiktok.caption.count("#") == len(meta.tiktok.hashtags)
    assert len(meta.instagram.hashtags) == 30
    assert meta.thumbnail_text == "Rivers shape the whole wide"
    assert fake.chats[0]["response_format"]["json_schema"]["name"] == "Draft"
    assert "Drop by drop, rivers carve canyons" in fake.chats[0]["messages"][1]["content"]


def test_hashtags_in_other_scripts_keep_their_letters():
    board = Storyboard(
        title="الأنهار",
        model="motion",
        voice={"language": "ar"},
        scenes=[Scene(narration="تبدأ الأنهار بقطرة مطر. الأنهار تنحت الوديان.")],
    )
    meta = write_metadata(board)
    assert meta.hashtags[0] == "#الأنهار" and meta.youtube.hashtags[:2] == ["#Shorts", "#الأنهار"]
    assert meta.tiktok.caption.endswith(" ".join(meta.tiktok.hashtags))
    assert_within_limits(meta)
