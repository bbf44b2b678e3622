"""Veo through the Gemini API's long-running operations, against a fake Gemini API on loopback."""

from __future__ import annotations

import base64
import subprocess

import pytest

from reelforge.errors import AuthError, ModerationError, ProviderError, QuotaError
from reelforge.generate.hosted.veo import MODELS, VeoGenerator
from tests.fakes.gemini_veo import FakeGeminiVeo
from tests.generate.hosted.conftest import clip_request, gives_up_quickly, measured

INFO = {m.id: m for m in MODELS}


def veo(monkeypatch, fake: FakeGeminiVeo, model: str = "veo-3.1", key: str | None = None) -> VeoGenerator:
    monkeypatch.setenv("GEMINI_API_KEY", key or fake.api_key)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    return VeoGenerator(INFO[model])


def test_operation_is_polled_and_the_video_downloaded(tmp_path, monkeypatch):
    with FakeGeminiVeo(pending_polls=2) as fake:
        request = clip_request(width=108, height=192, fps=30, num_frames=150)  # 5 s vertical
        out = veo(monkeypatch, fake, "veo-3.1-fast").generate(request, tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/v1beta/models/")
        [operation] = fake.operations.values()
        [download] = fake.received("GET", "/v1beta/files/")
        [blob] = fake.received("GET", "/blob/")
    assert create.path == "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning"
    assert create.headers["x-goog-api-key"] == fake.api_key
    parameters = {"aspectRatio": "9:16", "durationSeconds": 6, "resolution": "720p"}
    assert create.json == {"instances": [{"prompt": request.prompt}], "parameters": parameters}
    assert operation.polls == 3  # two not done, then done
    assert download.headers["x-goog-api-key"] == fake.api_key
    assert "x-goog-api-key" not in blob.headers  # the redirect went to another host: the key stayed behind
    assert measured(out) == (108, 192, 150)  # Veo's 6 s clip, fitted to the request


def test_image_to_video_sends_the_image_inline(tmp_path, monkeypatch, reference_image):
    with FakeGeminiVeo(pending_polls=0) as fake:
        out = veo(monkeypatch, fake).generate(clip_request(image=reference_image), tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/v1beta/models/")
    image = create.json["instances"][0]["image"]
    assert image["mimeType"] == "image/png"
    assert base64.b64decode(image["bytesBase64Encoded"]) == reference_image.read_bytes()
    assert create.json["parameters"] == {"aspectRatio": "16:9", "durationSeconds": 4, "resolution": "720p"}
    assert measured(out) == (96, 64, 12)


def _pixels(data: bytes, tmp_path, name: str) -> bytes:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def test_a_webp_image_is_sent_as_png(tmp_path, monkeypatch, reference_image):
    """Veo's documents list PNG and JPEG only: a WebP image arrives as a PNG of the same pixels."""
    webp = tmp_path / "hero.webp"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(reference_image), "-lossless", "1", str(webp)],
        check=True,
    )  # fmt: skip
    with FakeGeminiVeo(pending_polls=0) as fake:
        veo(monkeypatch, fake).generate(clip_request(image=webp), tmp_path / "clip.mp4")
        [create] = fake.received("POST", "/v1beta/models/")
    image = create.json["instances"][0]["image"]
    sent = base64.b64decode(image["bytesBase64Encoded"])
    assert image["mimeType"] == "image/png" and sent.startswith(b"\x89PNG\r\n\x1a\n")
    assert _pixels(sent, tmp_path, "sent.png") == _pixels(webp.read_bytes(), tmp_path, "again.webp")


def test_429_is_retried_after_retry_after(tmp_path, monkeypatch):
    with FakeGeminiVeo(rate_limited=1, retry_after="1") as fake:
        veo(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
        first, second = fake.received("POST", "/v1beta/models/")
    assert second.at - first.at >= 0.95


def test_429_after_retries_is_a_quota_error(tmp_path, monkeypatch):
    with (
        FakeGeminiVeo(rate_limited=10, retry_after="0") as fake,
        pytest.raises(QuotaError, match="RESOURCE_EXHAUSTED"),
    ):
        veo(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert len(fake.received("POST", "/v1beta/models/")) == 3


def test_bad_key_names_the_variable_and_hides_the_key(tmp_path, monkeypatch):
    with FakeGeminiVeo() as fake, pytest.raises(AuthError) as caught:
        veo(monkeypatch, fake, key="AIzaWrongKey999").generate(clip_request(), tmp_path / "clip.mp4")
    assert "GEMINI_API_KEY" in str(caught.value) and "AIzaWrongKey999" not in str(caught.value)


def test_safety_block_is_a_moderation_error(tmp_path, monkeypatch):
    reasons = ["The video was filtered because it may depict a real person."]
    with (
        FakeGeminiVeo(filtered=reasons) as fake,
        pytest.raises(ModerationError, match="may depict a real person"),
    ):
        veo(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")


def test_failed_operation_carries_googles_message(tmp_path, monkeypatch):
    error = {"code": 13, "message": "Video generation failed due to an internal error."}
    with FakeGeminiVeo(error=error) as fake, pytest.raises(ProviderError) as caught:
        veo(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert type(caught.value) is ProviderError and "due to an internal error" in str(caught.value)


def test_timeout_is_quick(tmp_path, monkeypatch):
    with FakeGeminiVeo(never_finish=True) as fake, gives_up_quickly(monkeypatch):
        veo(monkeypatch, fake).generate(clip_request(), tmp_path / "clip.mp4")
    assert list(tmp_path.iterdir()) == []
