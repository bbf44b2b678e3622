"""Runway (Gen-4.5 text/image-to-video, Gen-4 Turbo image-to-video) through the official `runwayml` SDK.

Create a task (`POST /v1/text_to_video` or `/v1/image_to_video`), poll `GET /v1/tasks/{id}` through
PENDING / THROTTLED / RUNNING until SUCCEEDED or FAILED, download the output URL. The SDK retries
429/5xx itself, honouring Retry-After. The clip's shape maps to the nearest ratio Runway allows and its
length to the shortest allowed duration that covers it (docs/models.md). A reference image goes as a
`data:` URI (Runway accepts up to 5 MB). Moderation is asynchronous: a task that ends FAILED with a
`SAFETY.*` failure code raises ModerationError; one that Runway failed for output quality
(`INTERNAL.BAD_OUTPUT.*`) is submitted once more.
"""

from __future__ import annotations

import time
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import InputError, ModerationError, ProviderError
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo

KEY = "RUNWAYML_API_SECRET"
NEEDS = f"{KEY} (and pip install 'reelforge[hosted]')"
TARGET = "reelforge.generate.hosted.runway:RunwayGenerator"

MODELS = [
    ModelInfo(
        id="runway-gen4.5", name="Runway Gen-4.5", category="premium", provider="runway", target=TARGET,
        max_seconds=10, width=1280, height=720, fps=24, image_to_video=True, needs=NEEDS,
    ),
    ModelInfo(
        id="runway-gen4-turbo", name="Runway Gen-4 Turbo (image-to-video)", category="premium",
        provider="runway", target=TARGET, max_seconds=10, width=1280, height=720, fps=24,
        cost_per_second=0.05, image_to_video=True, text_to_video=False, needs=NEEDS,
    ),
]  # fmt: skip

API_MODELS = {"runway-gen4.5": "gen4.5", "runway-gen4-turbo": "gen4_turbo"}
TEXT_RATIOS = ("1280:720", "720:1280")
IMAGE_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
DURATIONS = tuple(range(2, 11))
"""Whole seconds, 2 to 10, for both models."""
MAX_PROMPT = 1000
"""promptText limit, in UTF-16 code units."""
DATA_URI_LIMIT = 5_000_000
BAD_OUTPUT_RETRIES = 1
"""New tasks after one that failed with `INTERNAL.BAD_OUTPUT.*` (Runway: "can be retried")."""


class RunwayGenerator(ModelGenerator):
    def available(self) -> tuple[bool, str]:
        try:
            import runwayml  # noqa: F401
        except ImportError:
            return False, "pip install 'reelforge[hosted]' (needs the runwayml SDK)"
        if settings().runwayml_api_secret is None:
            return False, f"set {KEY} (a Runway developer API key)"
        return True, "Runway API key set"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Submit the task, wait for it, download the MP4 Runway made to `out`."""
        self.require()
        import runwayml

        from reelforge.generate.hosted import common

        cfg = settings()
        assert cfg.runwayml_api_secret is not None  # available() checked it
        secret = cfg.runwayml_api_secret.get_secret_value()
        if len(request.prompt.encode("utf-16-le")) // 2 > MAX_PROMPT:
            raise InputError(f"{self.id}: the scene's visual prompt is over Runway's {MAX_PROMPT} characters")
        if request.image is None and not self.info.text_to_video:
            raise InputError(
                f"{self.id} makes video from an image only: give the scene an image, or use runway-gen4.5"
            )
        deadline = time.monotonic() + cfg.provider_timeout
        client = runwayml.RunwayML(
            api_key=secret, base_url=cfg.runwayml_base_url, timeout=cfg.provider_request_timeout,
            max_retries=cfg.provider_retries,
        )  # fmt: skip
        fields = {
            "model": API_MODELS[self.id],
            "prompt_text": request.prompt,
            "duration": common.covering(common.seconds(request), DURATIONS),
            "seed": request.seed % 2**32,
        }
        with client, common.sdk_errors(runwayml, what=self.id, key_name=KEY, secret=secret):
            if request.image is not None:
                image = common.data_uri(request.image, what=self.id, limit=DATA_URI_LIMIT)
                ratio = common.nearest_ratio(request.width, request.height, IMAGE_RATIOS)
                create = partial(client.image_to_video.create, prompt_image=image, ratio=ratio, **fields)
            else:
                ratio = common.nearest_ratio(request.width, request.height, TEXT_RATIOS)
                create = partial(client.text_to_video.create, ratio=ratio, **fields)
            fetch = partial(
                common.fetch_clip, request, out, cfg, what=self.id, submit=lambda: create().id,
                check=partial(_check, client, self.id), cancel=client.tasks.delete, deadline=deadline,
            )  # fmt: skip
            for _ in range(BAD_OUTPUT_RETRIES):  # a task Runway failed for output quality: submit anew
                with suppress(_BadOutput):
                    return fetch()
            return fetch()


class _BadOutput(ProviderError):
    """Runway rejected its own output for quality (`INTERNAL.BAD_OUTPUT.*`): worth a new task."""


def _check(client: Any, what: str, task_id: str) -> str | None:
    """The output URL once the task SUCCEEDED, None while PENDING, THROTTLED (queued behind the account's
    concurrency) or RUNNING; the task's failure as an error."""
    state = client.tasks.retrieve(task_id)
    if state.status == "SUCCEEDED":
        return state.output[0]
    if state.status == "FAILED":
        raise _failure(what, state.failure, state.failure_code)
    if state.status == "CANCELLED":
        raise ProviderError(f"{what}: task {task_id} was cancelled on Runway's side")
    return None


def _failure(what: str, failure: str, code: str | None) -> ProviderError:
    """FAILED task -> error; `SAFETY.*` codes are refusals (docs.dev.runwayml.com/errors/task-failures)."""
    from reelforge.generate.hosted.common import one_line

    reason = one_line(f"{failure} ({code})" if code else failure)
    if code and code.startswith("SAFETY."):
        return ModerationError(f"{what}: Runway refused the content: {reason}: reword the scene")
    if code and code.startswith("INTERNAL.BAD_OUTPUT"):
        return _BadOutput(f"{what}: Runway task failed: {reason}")
    return ProviderError(f"{what}: Runway task failed: {reason}")
