"""Runway through the official runwayml SDK, against a fake Runway API on loopback."""

from __future__ import annotations

import base64

import pytest

from reelforge.errors import AuthError, InputError, ModerationError, ProviderError, QuotaError
from reelforge.generate.hosted.runway import MODELS, RunwayGenerator
from tests.fakes.runway import FakeRunway
from tests.generate.hosted.conftest import clip_request, gives_up_quickly, measured

INFO = {m.id: m for m in MODELS}


def runway(
    monkeypatch, fake: FakeRunway, model: str = "runway-gen4.5", key: str | None = None
) -> RunwayGenerator:
    monkeypatch.setenv("RUNWAYML_API_SECRET", key or fake.api_key)
    monkeypatch.setenv("RUNWAYML_BASE_URL", fake.url)
    return RunwayGenerator(INFO[model])


def test_text_to_video_polls_through_the_states_and_downloads(tmp_path, monkeypatch):
    with FakeRunway() as fake:
        request = clip_request(width=108, height=192, fps=30, num_frames=75)  # 2.5 s, vertical
        out = runway(monkeypatch, fake).generate(request, tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/v1/")
        [task] = fake.tasks.values()
    assert create.path == "/v1/text_to_video"
    assert create.headers["authorization"] == f"Bearer {fake.api_key}"
    assert create.headers["x-runway-version"] == "2024-11-06"
    expected = {
        "model": "gen4.5",
        "promptText": request.prompt,
        "ratio": "720:1280",
        "duration": 3,
        "seed": 7,
    }
    assert create.json == expected
    assert task.polls == 4  # PENDING, THROTTLED, RUNNING, SUCCEEDED
    assert len(fake.received("GET", "/outputs/")) == 1  # Runway's 3 s at 24 fps, fitted to the request:
    assert measured(out) == (108, 192, 75)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_image_to_video_sends_the_image_as_a_data_uri(tmp_path, monkeypatch, reference_image):
    with FakeRunway() as fake:
        request = clip_request(width=100, height=100, fps=24, num_frames=48, image=reference_image)
        out = runway(monkeypatch, fake, "runway-gen4-turbo").generate(request, tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/v1/")
    body = create.json
    assert create.path == "/v1/image_to_video"
    assert (body["model"], body["ratio"], body["duration"]) == ("gen4_turbo", "960:960", 2)
    header, _, data = body["promptImage"].partition(",")
    assert header == "data:image/png;base64" and base64.b64decode(data) == reference_image.read_bytes()
    assert measured(out) == (100, 100, 48)


def test_image_only_model_without_an_image_is_refused_before_any_request(tmp_path, monkeypatch):
    with FakeRunway() as fake, pytest.raises(InputError, match="from an image only"):
        runway(monkeypatch, fake, "runway-gen4-turbo").generate(clip_request(), tmp_path / "clip.mp4")
    assert fake.requests == []


def test_429_is_retried_after_retry_after(tmp_path, monkeypatch):
    with FakeRunway(rate_limited=1, retry_after="1") as fake:
        out = runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        first, second = fake.received("POST", "/v1/")
    assert second.at - first.at >= 0.95
    assert measured(out) == (96, 64, 12)


def test_429_after_retries_is_a_quota_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "1")
    with FakeRunway(rate_limited=5, retry_after="1") as fake, pytest.raises(QuotaError, match="HTTP 429"):
        runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert len(fake.received("POST", "/v1/")) == 2


def test_bad_key_names_the_variable_and_hides_the_key(tmp_path, monkeypatch):
    with FakeRunway() as fake, pytest.raises(AuthError) as caught:
        runway(monkeypatch, fake, key="key_wrong_secret_value").generate(clip_request(), tmp_path / "c.mp4")
    message = str(caught.value)
    assert "RUNWAYML_API_SECRET" in message and "HTTP 401" in message
    assert "key_wrong_secret_value" not in message and "\n" not in message


def test_safety_failure_is_a_moderation_error(tmp_path, monkeypatch):
    failure = ("The prompt was flagged by our content moderation system.", "SAFETY.INPUT.TEXT")
    with FakeRunway(failure=failure) as fake, pytest.raises(ModerationError, match="reword the scene"):
        runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")


def test_failed_task_carries_runways_reason(tmp_path, monkeypatch):
    failure = ("An unexpected error occurred.", "INTERNAL")
    with FakeRunway(failure=failure) as fake, pytest.raises(ProviderError) as caught:
        runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert type(caught.value) is ProviderError
    assert "An unexpected error occurred. (INTERNAL)" in str(caught.value)
    assert not (tmp_path / "clip.mp4").exists()


def test_timeout_cancels_the_task_quickly(tmp_path, monkeypatch):
    with FakeRunway(never_finish=True) as fake:
        with gives_up_quickly(monkeypatch):
            runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        [task] = fake.tasks.values()
    assert task.status == "CANCELLED" and len(fake.received("DELETE", "/v1/tasks/")) == 1


def test_available_names_the_key(monkeypatch):
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    ready, why = RunwayGenerator(INFO["runway-gen4.5"]).available()
    assert not ready and "RUNWAYML_API_SECRET" in why
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_x")
    assert RunwayGenerator(INFO["runway-gen4.5"]).available()[0]


BAD_OUTPUT = ("The output did not pass quality checks.", "INTERNAL.BAD_OUTPUT.CODE01")


def test_a_task_failed_for_output_quality_is_submitted_once_more(tmp_path, monkeypatch):
    with FakeRunway(failure_once=BAD_OUTPUT) as fake:
        out = runway(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        first, second = fake.tasks.values()
    assert (first.polls, second.polls) == (4, 4) and len(fake.received("POST", "/v1/")) == 2
    assert measured(out) == (96, 64, 12)
    with FakeRunway(failure=BAD_OUTPUT) as fake, pytest.raises(ProviderError, match="did not pass quality"):
        runway(monkeypatch, fake).generate(clip_request(), tmp_path / "again.mp4")
    assert len(fake.tasks) == 2  # one retry, not more
