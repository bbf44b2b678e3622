"""The `-hf` open models through huggingface_hub's InferenceClient, against a fake Hub + router on loopback.

huggingface_hub's fal.ai wait polls every 0.5 s (its constant), so these tests keep the number of polls low.
"""

from __future__ import annotations

import pytest

from reelforge.errors import AuthError, ConfigError, ProviderError
from reelforge.generate.hosted.hf_providers import MODELS, HFProviderGenerator
from tests.fakes.hf_inference import FakeHFRouter
from tests.generate.hosted.conftest import clip_request, gives_up_quickly, measured

INFO = {m.id: m for m in MODELS}


@pytest.fixture
def router(monkeypatch):
    """The fake, with the Hub endpoint and the router pointed at it (never the real hosts)."""
    from huggingface_hub import constants
    from huggingface_hub.inference._providers import _common

    with FakeHFRouter() as fake:
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", f"{fake.url}/{{provider}}")
        monkeypatch.setenv("HF_TOKEN", fake.token)
        monkeypatch.setenv("HF_INFERENCE_PROVIDER", "auto")
        _common._fetch_inference_provider_mapping.cache_clear()
        yield fake
        _common._fetch_inference_provider_mapping.cache_clear()


def test_provider_makes_the_clip_through_the_router(tmp_path, router):
    request = clip_request(width=192, height=128, fps=30, num_frames=60)  # 2 s
    out = HFProviderGenerator(INFO["ltx-video-hf"]).generate(request, tmp_path / "clip.mp4")
    [lookup] = router.received("GET", "/api/models/")
    [submit] = router.received("POST", "/fal-ai/")
    [job] = router.jobs.values()
    assert lookup.path == "/api/models/Lightricks/LTX-Video"
    assert lookup.query == {"expand": "inferenceProviderMapping"}, lookup.query
    assert submit.path == "/fal-ai/fal-ai/ltx-video" and submit.query == {"_subdomain": "queue"}
    assert submit.headers["authorization"] == f"Bearer {router.token}"
    assert submit.json == {"prompt": request.prompt, "num_frames": 48, "seed": 7}  # 2 s at LTX's 24 fps
    assert job["polls"] == 2  # IN_PROGRESS, COMPLETED
    assert measured(out) == (192, 128, 60)  # the provider's 48 frames at 24 fps, fitted to the request


def test_frames_are_capped_at_the_models_longest_clip(tmp_path, router):
    router.steps = []
    request = clip_request(fps=24, num_frames=24 * 20)  # 20 s asked, CogVideoX makes 6 s at 8 fps
    HFProviderGenerator(INFO["cogvideox-5b-hf"]).generate(request, tmp_path / "clip.mp4")
    [submit] = router.received("POST", "/fal-ai/")
    assert submit.path == "/fal-ai/fal-ai/cogvideox-5b" and submit.json["num_frames"] == 48


def test_429_on_submission_is_retried_after_retry_after(tmp_path, router):
    router.rate_limited, router.retry_after, router.steps = 1, "1", []
    HFProviderGenerator(INFO["wan-2.1-t2v-1.3b-hf"]).generate(clip_request(), tmp_path / "clip.mp4")
    first, second = router.received("POST", "/fal-ai/")
    assert second.at - first.at >= 0.95 and len(router.jobs) == 1


def test_bad_token_names_the_variable_and_hides_it(tmp_path, router, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_wrongTokenValue42")
    with pytest.raises(AuthError) as caught:
        HFProviderGenerator(INFO["ltx-video-hf"]).generate(clip_request(), tmp_path / "clip.mp4")
    assert "HF_TOKEN" in str(caught.value) and "hf_wrongTokenValue42" not in str(caught.value)


def test_repo_no_provider_serves_says_what_to_do(tmp_path, router):
    del router.mappings["tencent/HunyuanVideo"]
    with pytest.raises(ProviderError, match="no Inference Provider serves tencent/HunyuanVideo"):
        HFProviderGenerator(INFO["hunyuanvideo-hf"]).generate(clip_request(), tmp_path / "clip.mp4")
    assert router.received("POST", "/fal-ai/") == []


def test_offline_mode_is_a_clear_config_error(tmp_path, router, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    generator = HFProviderGenerator(INFO["ltx-video-hf"])
    ready, why = generator.available()
    assert not ready and "HF_HUB_OFFLINE" in why
    with pytest.raises(ConfigError, match="unset it"):
        generator.generate(clip_request(), tmp_path / "clip.mp4")
    assert router.requests == []


def test_timeout_is_quick(tmp_path, router, monkeypatch):
    router.never_finish = True
    with gives_up_quickly(monkeypatch, "0.6", match="did not finish"):
        HFProviderGenerator(INFO["ltx-video-hf"]).generate(clip_request(), tmp_path / "clip.mp4")
    assert list(tmp_path.iterdir()) == []


def test_available_names_the_token(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    ready, why = HFProviderGenerator(INFO["ltx-video-hf"]).available()
    assert not ready and "HF_TOKEN" in why
