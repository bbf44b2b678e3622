"""How a request's shape and length map to what a provider allows, and what a download leaves behind."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from reelforge.errors import ProviderError
from reelforge.generate.hosted import common, luma, runway, veo
from tests.fakes.loopback import Answer, LoopbackServer, Recorded
from tests.fakes.media import moving_mp4
from tests.generate.hosted.conftest import clip_request, measured


@pytest.mark.parametrize(
    ("seconds", "allowed", "expected"),
    [(2.5, runway.DURATIONS, 3), (2.0, runway.DURATIONS, 2), (1.0, runway.DURATIONS, 2),
     (14, runway.DURATIONS, 10), (5.0, luma.DURATIONS, 5), (5.04, luma.DURATIONS, 9), (12, luma.DURATIONS, 9),
     (4.1, veo.DURATIONS, 6)],
)  # fmt: skip
def test_duration_is_the_shortest_allowed_that_covers_the_scene(seconds, allowed, expected):
    assert common.covering(seconds, allowed) == expected


@pytest.mark.parametrize(
    ("size", "ratios", "expected"),
    [((1080, 1920), runway.TEXT_RATIOS, "720:1280"), ((1920, 1080), runway.TEXT_RATIOS, "1280:720"),
     ((1080, 1080), runway.TEXT_RATIOS, "1280:720"), ((1000, 1000), runway.IMAGE_RATIOS, "960:960"),
     ((2560, 1080), runway.IMAGE_RATIOS, "1584:672"), ((1080, 1350), runway.IMAGE_RATIOS, "832:1104"),
     ((1080, 1350), luma.RATIOS, "3:4"), ((1080, 1920), veo.RATIOS, "9:16"),
     ((1440, 1080), luma.RATIOS, "4:3")],
)  # fmt: skip
def test_shape_is_the_nearest_allowed_ratio(size, ratios, expected):
    assert common.nearest_ratio(*size, ratios) == expected


def test_retry_after_reads_seconds_dates_and_milliseconds():
    assert common.retry_after(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert common.retry_after(httpx.Headers({"retry-after-ms": "250", "Retry-After": "3"})) == 0.25
    assert common.retry_after(httpx.Headers({"Retry-After": "3600"})) == common.MAX_RETRY_AFTER
    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= common.retry_after(httpx.Headers({"Retry-After": date})) <= 10.5
    assert common.retry_after(httpx.Headers({})) is None


class _NotAVideo(LoopbackServer):
    def route(self, request: Recorded) -> Answer:
        return Answer(200, b"<html>Access denied</html>", {"Content-Type": "text/html"})


def test_a_download_that_is_not_a_video_leaves_nothing(tmp_path):
    with _NotAVideo() as server, pytest.raises(ProviderError, match="not a readable video"):
        common.download(f"{server.url}/x.mp4", tmp_path / "clip.mp4", clip_request(), what="test", timeout=5,
                        retries=0)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_a_clip_slightly_short_is_held_to_length_and_a_short_one_stays_short(tmp_path):
    clip = moving_mp4(160, 96, 20, 24)  # 0.83 s
    asked = clip_request(width=80, height=80, fps=24, num_frames=24)  # 1 s: 4 frames over, within 0.25 s
    out = common.save(clip, tmp_path / "a.mp4", asked, what="test")
    assert measured(out) == (80, 80, 24)
    out = common.save(clip, tmp_path / "b.mp4", clip_request(fps=24, num_frames=48), what="test")
    assert measured(out) == (96, 64, 20 + 6)  # the clip and 0.25 s held: the gate will call it truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4"]
