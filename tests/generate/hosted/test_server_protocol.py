"""The custom "Neura" and self-hosted servers, against the protocol's reference implementation."""

from __future__ import annotations

import _thread
import base64
import threading
import time

import pytest

from reelforge.errors import AuthError, ConfigError, ModerationError, ProviderError, QuotaError
from reelforge.generate.server_protocol import MODELS, NeuraGenerator, SelfHostedGenerator
from tests.fakes.video_server import FakeVideoServer
from tests.generate.hosted.conftest import clip_request, gives_up_quickly, measured

INFO = {m.id: m for m in MODELS}
SECRET = "tok-8c1f0e2d9b"


def neura(monkeypatch, server: FakeVideoServer, token: str | None = SECRET) -> NeuraGenerator:
    monkeypatch.setenv("NEURA_AI_SERVER", server.url)
    if token:
        monkeypatch.setenv("NEURA_AI_TOKEN", token)
    return NeuraGenerator(INFO["neura"])


@pytest.mark.parametrize(
    ("cls", "url_env", "token_env"),
    [(NeuraGenerator, "NEURA_AI_SERVER", "NEURA_AI_TOKEN"),
     (SelfHostedGenerator, "SELF_HOSTED_SERVER", "SELF_HOSTED_TOKEN")],
)  # fmt: skip
def test_clip_is_the_size_and_length_asked_for(tmp_path, monkeypatch, cls, url_env, token_env):
    with FakeVideoServer(token=SECRET, steps=["queued", "running", "running"]) as server:
        monkeypatch.setenv(url_env, server.url)
        monkeypatch.setenv(token_env, SECRET)
        generator = cls(INFO["neura" if cls is NeuraGenerator else "self-hosted"])
        out = generator.generate(clip_request(width=96, height=64, num_frames=18, fps=30), tmp_path / "c.mp4")
    assert out == tmp_path / "c.mp4"
    assert measured(out) == (96, 64, 18)
    [post] = server.received("POST", "/v1/generate")
    assert post.headers["authorization"] == f"Bearer {SECRET}"
    body = post.json
    sent = {k: body[k] for k in ("protocol", "width", "height", "fps", "num_frames", "seed", "quality")}
    assert sent == {"protocol": 1, "width": 96, "height": 64, "fps": 30, "num_frames": 18, "seed": 7,
                    "quality": "medium"}  # fmt: skip
    assert body["prompt"].startswith("a paper boat") and body["image"] is None
    assert len(server.received("GET", "/v1/jobs/")) == 3 + 1 + 1  # three in progress, succeeded, the video
    assert list(tmp_path.iterdir()) == [out]  # no partial file left


def test_available_says_what_to_set(monkeypatch):
    monkeypatch.delenv("NEURA_AI_SERVER", raising=False)
    ready, why = NeuraGenerator(INFO["neura"]).available()
    assert not ready and "NEURA_AI_SERVER" in why
    with FakeVideoServer(token=SECRET) as server:
        assert neura(monkeypatch, server).available() == (True, f"{server.url} is up")
        ready, why = neura(monkeypatch, server, token="wrong").available()
        assert not ready and "NEURA_AI_TOKEN" in why and "wrong" not in why
        url = server.url
    started = time.monotonic()
    ready, why = NeuraGenerator(INFO["neura"]).available()  # the server is gone
    assert not ready and url in why and time.monotonic() - started < 3.5


def test_missing_url_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SELF_HOSTED_SERVER", raising=False)
    with pytest.raises(ConfigError, match="set SELF_HOSTED_SERVER"):
        SelfHostedGenerator(INFO["self-hosted"]).generate(clip_request(), tmp_path / "c.mp4")


def test_429_is_retried_after_retry_after(tmp_path, monkeypatch):
    with FakeVideoServer(token=SECRET, rate_limited=1, retry_after="1") as server:
        out = neura(monkeypatch, server).generate(clip_request(), tmp_path / "c.mp4")
    first, second = server.received("POST", "/v1/generate")
    assert second.at - first.at >= 0.95  # waited as Retry-After said
    assert measured(out) == (96, 64, 12)


def test_429_after_retries_is_a_quota_error(tmp_path, monkeypatch):
    server = FakeVideoServer(token=SECRET, rate_limited=10, retry_after="0")
    with server, pytest.raises(QuotaError, match="HTTP 429") as caught:
        neura(monkeypatch, server).generate(clip_request(), tmp_path / "c.mp4")
    assert len(server.received("POST", "/v1/generate")) == 3  # REELFORGE_PROVIDER_RETRIES=2, plus the first
    assert SECRET not in str(caught.value)


def test_wrong_token_names_the_setting(tmp_path, monkeypatch):
    with FakeVideoServer(token=SECRET) as server, pytest.raises(AuthError) as caught:
        neura(monkeypatch, server, token="tok-wrong-42").generate(clip_request(), tmp_path / "c.mp4")
    message = str(caught.value)
    assert "NEURA_AI_TOKEN" in message and "401" in message and "tok-wrong-42" not in message
    assert len(message.splitlines()) == 1


def test_moderation_refusal(tmp_path, monkeypatch):
    error = {"code": "moderation", "message": "prompt refused by the safety filter"}
    with FakeVideoServer(error=error) as server, pytest.raises(ModerationError, match="reword the scene"):
        neura(monkeypatch, server, token=None).generate(clip_request(), tmp_path / "c.mp4")
    assert not (tmp_path / "c.mp4").exists()


def test_failed_job_carries_the_servers_reason(tmp_path, monkeypatch):
    error = {"code": "out_of_memory", "message": "CUDA out of memory at 1280x720"}
    with FakeVideoServer(error=error) as server, pytest.raises(ProviderError) as caught:
        neura(monkeypatch, server, token=None).generate(clip_request(), tmp_path / "c.mp4")
    assert type(caught.value) is ProviderError
    assert "job failed: CUDA out of memory at 1280x720" in str(caught.value)


def test_timeout_cancels_the_job_quickly(tmp_path, monkeypatch):
    with FakeVideoServer(never_finish=True) as server, gives_up_quickly(monkeypatch):
        neura(monkeypatch, server, token=None).generate(clip_request(), tmp_path / "c.mp4")
    [job] = server.jobs.values()
    assert job.cancelled and len(server.received("DELETE", "/v1/jobs/")) == 1
    assert list(tmp_path.iterdir()) == []


def test_image_to_video_sends_the_image(tmp_path, monkeypatch, reference_image):
    with FakeVideoServer() as server:
        out = neura(monkeypatch, server, token=None).generate(
            clip_request(image=reference_image), tmp_path / "c.mp4"
        )
    [post] = server.received("POST", "/v1/generate")
    image = post.json["image"]
    assert image["mime_type"] == "image/png"
    assert base64.b64decode(image["data"]) == reference_image.read_bytes()
    assert measured(out) == (96, 64, 12)


def test_ctrl_c_while_waiting_cancels_the_job(tmp_path, monkeypatch):
    with FakeVideoServer(never_finish=True) as server:
        threading.Timer(0.3, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            neura(monkeypatch, server, token=None).generate(clip_request(), tmp_path / "c.mp4")
        [job] = server.jobs.values()
    assert job.cancelled and list(tmp_path.iterdir()) == []


def test_unreachable_server_is_a_provider_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "0")
    with FakeVideoServer() as server:
        url = server.url
    monkeypatch.setenv("NEURA_AI_SERVER", url)
    with pytest.raises(ProviderError, match=f"cannot reach {url}"):
        NeuraGenerator(INFO["neura"]).generate(clip_request(), tmp_path / "c.mp4")


def test_a_password_in_the_server_url_stays_out_of_messages(tmp_path, monkeypatch):
    monkeypatch.setenv("REELFORGE_PROVIDER_RETRIES", "0")
    with FakeVideoServer() as server:
        url = server.url
    monkeypatch.setenv("NEURA_AI_SERVER", url.replace("http://", "http://me:hunter2@"))
    ready, why = NeuraGenerator(INFO["neura"]).available()  # the server is gone
    assert not ready and url in why and "hunter2" not in why
    with pytest.raises(ProviderError) as caught:
        NeuraGenerator(INFO["neura"]).generate(clip_request(), tmp_path / "c.mp4")
    assert url in str(caught.value) and "hunter2" not in str(caught.value)
