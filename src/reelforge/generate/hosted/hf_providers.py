"""The open video models, run by Hugging Face Inference Providers with HF_TOKEN (the `-hf` model ids).

`huggingface_hub.InferenceClient(provider=HF_INFERENCE_PROVIDER).text_to_video(...)`: the client asks the
Hub which provider serves the repo (`/api/models/{repo}?expand[]=inferenceProviderMapping`), calls it
through the HF router (billed to the HF account), waits for the provider's queue and returns the MP4
bytes. The submission is retried on 429/5xx honouring Retry-After (a status poll is never resubmitted:
that would start a second paid job). The client's own wait has no deadline, so the call runs in a
worker thread that is abandoned past REELFORGE_PROVIDER_TIMEOUT; the router offers no cancel.
Text-to-video only: the providers map these repos for text-to-video.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import ConfigError, ProviderError
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo

KEY = "HF_TOKEN"
NEEDS = f"{KEY} (a Hugging Face token allowed to call Inference Providers; pip install 'reelforge[hosted]')"
TARGET = "reelforge.generate.hosted.hf_providers:HFProviderGenerator"

REPOS = {
    "ltx-video-hf": "Lightricks/LTX-Video",
    "hunyuanvideo-hf": "tencent/HunyuanVideo",
    "cogvideox-5b-hf": "THUDM/CogVideoX-5b",
    "wan-2.1-t2v-1.3b-hf": "Wan-AI/Wan2.1-T2V-1.3B",
}
"""Model id -> the Hub repo the providers map (HunyuanVideo: Tencent's repo, not the diffusers port)."""

MODELS = [
    ModelInfo(
        id="ltx-video-hf", name="LTX-Video (Hugging Face Inference Providers)", category="open",
        provider="huggingface", target=TARGET, max_seconds=5, width=768, height=512, fps=24, needs=NEEDS,
    ),
    ModelInfo(
        id="hunyuanvideo-hf", name="HunyuanVideo (Hugging Face Inference Providers)", category="open",
        provider="huggingface", target=TARGET, max_seconds=5, width=1280, height=720, fps=24, needs=NEEDS,
    ),
    ModelInfo(
        id="cogvideox-5b-hf", name="CogVideoX-5B (Hugging Face Inference Providers)", category="open",
        provider="huggingface", target=TARGET, max_seconds=6, width=720, height=480, fps=8, needs=NEEDS,
    ),
    ModelInfo(
        id="wan-2.1-t2v-1.3b-hf", name="Wan 2.1 T2V 1.3B (Hugging Face Inference Providers)", category="open",
        provider="huggingface", target=TARGET, max_seconds=5, width=832, height=480, fps=16, needs=NEEDS,
    ),
]  # fmt: skip


class HFProviderGenerator(ModelGenerator):
    def __init__(self, info: ModelInfo) -> None:
        super().__init__(info)
        self.repo = REPOS[info.id]

    def available(self) -> tuple[bool, str]:
        try:
            import stamina  # noqa: F401
            from huggingface_hub import constants
        except ImportError:
            return False, "pip install 'reelforge[hosted]' (needs huggingface_hub and stamina)"
        if constants.is_offline_mode():
            return False, "HF_HUB_OFFLINE is set: unset it to call Hugging Face Inference Providers"
        if settings().hf_token is None:
            return False, f"set {KEY} (a Hugging Face token allowed to call Inference Providers)"
        return True, f"{KEY} set; {self.repo} through provider {settings().hf_inference_provider!r}"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Have the provider make the clip, wait for the MP4 bytes (bounded), write them to `out`."""
        self.require()
        import stamina
        from huggingface_hub import InferenceClient

        from reelforge.generate.hosted import common

        cfg = settings()
        assert cfg.hf_token is not None  # available() checked it
        secret = cfg.hf_token.get_secret_value()
        client = InferenceClient(
            provider=cfg.hf_inference_provider, api_key=secret, timeout=cfg.provider_request_timeout
        )
        longest = round(self.info.max_seconds * self.info.fps)
        frames = max(1, min(round(common.seconds(request) * self.info.fps), longest))

        def submit() -> bytes:
            for attempt in stamina.retry_context(
                on=_resubmittable,
                attempts=cfg.provider_retries + 1,
                timeout=None,
                wait_initial=0.5,
                wait_max=30.0,
            ):
                with attempt:
                    try:
                        return client.text_to_video(
                            request.prompt, model=self.repo, num_frames=frames, seed=request.seed
                        )
                    except StopIteration:  # provider "auto" and an empty mapping
                        raise ValueError("the Hub lists no provider for it") from None
            raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

        with _hub_errors(self.id, self.repo, cfg.hf_inference_provider, secret):
            video = _bounded(submit, cfg.provider_timeout, self.id)
        return common.save(video, Path(out), request, what=self.id)


def _resubmittable(exc: Exception) -> bool | float:
    """Retry a 429/5xx answer to the submission (POST) only, waiting Retry-After when given."""
    from huggingface_hub.errors import HfHubHTTPError

    from reelforge.generate.hosted.common import RETRY_STATUSES, retry_after

    response = getattr(exc, "response", None) if isinstance(exc, HfHubHTTPError) else None
    if response is None or response.status_code not in RETRY_STATUSES or response.request.method != "POST":
        return False
    wait = retry_after(response.headers)
    return True if wait is None else wait


def _bounded(call: Any, timeout: float, what: str) -> Any:
    """`call()` in a daemon thread, waited for at most `timeout` seconds."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"reelforge-{what}", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ProviderError(
            f"{what}: the provider did not finish in {time.monotonic() - started:.0f} s: raise "
            "REELFORGE_PROVIDER_TIMEOUT or try again later"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@contextmanager
def _hub_errors(what: str, repo: str, provider: str, secret: str) -> Iterator[None]:
    """Map huggingface_hub's errors to reelforge's."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, OfflineModeIsEnabled

    from reelforge.generate.hosted.common import one_line, status_error

    try:
        yield
    except OfflineModeIsEnabled:
        raise ConfigError(f"{what}: HF_HUB_OFFLINE is set: unset it to call Inference Providers") from None
    except HfHubHTTPError as exc:
        detail = exc.server_message or str(exc).splitlines()[0]
        raise status_error(exc.response.status_code, detail, what=what, key_name=KEY, secret=secret) from None
    except InferenceTimeoutError:
        raise ProviderError(
            f"{what}: no answer from the provider in time (REELFORGE_REQUEST_TIMEOUT)"
        ) from None
    except httpx2.TransportError as exc:
        raise ProviderError(f"{what}: cannot reach Hugging Face: {one_line(exc, secret)}") from None
    except ValueError as exc:  # no provider maps the repo for this task
        raise ProviderError(
            f"{what}: no Inference Provider serves {repo} for text-to-video (provider {provider!r}: "
            f"{one_line(exc, secret) or 'none listed'}): choose another with HF_INFERENCE_PROVIDER, another "
            "model, or run it locally"
        ) from None
    except (KeyError, TypeError) as exc:
        raise ProviderError(
            f"{what}: the provider answered without a video ({one_line(exc, secret)})"
        ) from None
