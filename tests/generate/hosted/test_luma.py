"""Luma Dream Machine through the official lumaai SDK, against a fake Luma API on loopback."""

from __future__ import annotations

import pytest

from reelforge.errors import AuthError, InputError, ModerationError, ProviderError, QuotaError
from reelforge.generate.hosted.luma import MODELS, LumaGenerator
from tests.fakes.luma import FakeLuma
from tests.generate.hosted.conftest import clip_request, gives_up_quickly, measured

INFO = {m.id: m for m in MODELS}


def luma(monkeypatch, fake: FakeLuma, model: str = "luma-ray-2", key: str | None = None) -> LumaGenerator:
    monkeypatch.setenv("LUMAAI_API_KEY", key or fake.api_key)
    monkeypatch.setenv("LUMAAI_BASE_URL", fake.base_url)
    return LumaGenerator(INFO[model])


def test_generation_polls_and_downloads(tmp_path, monkeypatch):
    with FakeLuma() as fake:
        request = clip_request(width=192, height=108, fps=30, num_frames=180, quality="high")  # 6 s
        out = luma(monkeypatch, fake, "luma-ray-flash-2").generate(request, tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/dream-machine/v1/generations/video")
        [polls] = fake.polls.values()
    assert create.headers["authorization"] == f"Bearer {fake.api_key}"
    assert create.json == {"model": "ray-flash-2", "prompt": request.prompt, "aspect_ratio": "16:9",
                           "duration": "9s", "resolution": "1080p"}  # fmt: skip
    assert polls == 3  # queued, dreaming, completed
    assert len(fake.received("GET", "/assets/")) == 1  # Luma's 9 s clip, fitted to the request:
    assert measured(out) == (192, 108, 180)


def test_vertical_short_scene_maps_to_9_16_and_5s(tmp_path, monkeypatch):
    with FakeLuma(steps=[]) as fake:
        out = luma(monkeypatch, fake).generate(clip_request(width=72, height=128, fps=24, num_frames=72),
                                               tmp_path / "clip.mp4")  # fmt: skip
        [create] = fake.received("POST", "/dream-machine/v1/generations/video")
    assert (create.json["aspect_ratio"], create.json["duration"], create.json["resolution"]) == (
        "9:16", "5s", "720p"
    )  # fmt: skip
    assert measured(out) == (72, 128, 72)


def test_429_is_retried_after_retry_after(tmp_path, monkeypatch):
    with FakeLuma(rate_limited=1, retry_after="1") as fake:
        luma(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        first, second = fake.received("POST", "/dream-machine/v1/generations/video")
    assert second.at - first.at >= 0.95


def test_429_after_retries_is_a_quota_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "0")
    with FakeLuma(rate_limited=5) as fake, pytest.raises(QuotaError, match="HTTP 429"):
        luma(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")


def test_bad_key_names_the_variable_and_hides_the_key(tmp_path, monkeypatch):
    with FakeLuma() as fake, pytest.raises(AuthError) as caught:
        luma(monkeypatch, fake, key="luma-wrong-key-777").generate(clip_request(), tmp_path / "clip.mp4")
    assert "LUMAAI_API_KEY" in str(caught.value) and "luma-wrong-key-777" not in str(caught.value)


def test_refused_prompt_is_a_moderation_error(tmp_path, monkeypatch):
    reason = "Prompt not allowed because it contains blocked content"
    with FakeLuma(failure_reason=reason) as fake, pytest.raises(ModerationError, match="reword the scene"):
        luma(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")


def test_failed_generation_carries_lumas_reason(tmp_path, monkeypatch):
    with (
        FakeLuma(failure_reason="Internal generation error 5012") as fake,
        pytest.raises(ProviderError) as caught,
    ):
        luma(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert type(caught.value) is ProviderError and "Internal generation error 5012" in str(caught.value)


def test_timeout_deletes_the_generation_quickly(tmp_path, monkeypatch):
    with FakeLuma(never_finish=True) as fake:
        with gives_up_quickly(monkeypatch):
            luma(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        assert fake.generations == {} and len(fake.received("DELETE", "/dream-machine/v1/generations/")) == 1


def test_a_reference_image_is_refused_with_the_alternatives(tmp_path, monkeypatch, reference_image):
    with FakeLuma() as fake, pytest.raises(InputError, match=r"runway-gen4\.5 or veo-3\.1"):
        luma(monkeypatch, fake).generate(clip_request(image=reference_image), tmp_path / "clip.mp4")
    assert fake.requests == []
