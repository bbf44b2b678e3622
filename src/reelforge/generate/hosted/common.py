"""What every hosted video client shares: the submit -> poll -> download -> fit flow (`fetch_clip`),
retried HTTP that honours Retry-After, bounded polling with backoff that cancels the remote job when it
gives up, a streamed download with an atomic rename, the provider's refusals mapped to reelforge's
errors, and the request's size and length mapped to what a provider allows.

Imports httpx and stamina (the `hosted` extra); the generator modules import this lazily.
"""

from __future__ import annotations

import base64
import email.utils
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import stamina

from reelforge.config import Settings
from reelforge.edit.probe import video_info
from reelforge.errors import AuthError, InputError, ProviderError, QuotaError, RenderError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate.base import ClipRequest

T = TypeVar("T")
Job = TypeVar("Job")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Answers worth another try (the providers' docs: 429 and 5xx; 408 as the HTTP spec says)."""

MAX_RETRY_AFTER = 120.0
"""A Retry-After longer than this is capped: the whole job stays bounded by REELFORGE_PROVIDER_TIMEOUT."""

PAD_SECONDS = 0.25
"""How much shorter than asked a provider's clip may be and still be delivered (its last frame held)."""

PRESET, CRF = "ultrafast", 18
"""libx264 settings of the fitted clip: an intermediate the editor re-encodes, so fast and near-lossless."""

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def one_line(text: object, secret: str | None = None, limit: int = 300) -> str:
    """`text` as one short line, with `secret` (if any) blanked out."""
    line = " ".join(str(text).split())
    if secret:
        line = line.replace(secret, "***")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def error_detail(body: Any) -> str:
    """The human part of a provider's error body: `{"error": "..."}`, `{"error": {"message": ...}}`,
    `{"detail": ...}`, `{"message": ...}` or plain text."""
    if isinstance(body, dict):
        for key in ("error", "detail", "message", "title"):
            value = body.get(key)
            if isinstance(value, dict):
                return error_detail(value)
            if value:
                return str(value)
    return str(body or "no details")


def status_error(status: int, detail: str, *, what: str, key_name: str, secret: str | None) -> ProviderError:
    """The reelforge error for an HTTP error status from a provider."""
    detail = one_line(detail, secret)
    if status in (401, 403):
        return AuthError(
            f"{what}: the provider refused the key in {key_name} (HTTP {status}: {detail}): "
            f"set a valid {key_name}"
        )
    if status == 429:
        return QuotaError(
            f"{what}: rate limit or credits exhausted (HTTP 429 after retries: {detail}): wait, lower the "
            "number of parallel jobs, or raise the account's limits"
        )
    return ProviderError(f"{what}: HTTP {status}: {detail}")


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), capped."""
    with suppress(TypeError, ValueError):
        return min(float(headers.get("retry-after-ms")) / 1000, MAX_RETRY_AFTER)
    value = headers.get("retry-after")
    if value is None:
        return None
    with suppress(ValueError):
        return max(0.0, min(float(value), MAX_RETRY_AFTER))
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, min(email.utils.mktime_tz(parsed) - time.time(), MAX_RETRY_AFTER))


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _backoff(exc: Exception) -> bool | float:
    if isinstance(exc, _RetryableStatus):
        wait = retry_after(exc.response.headers)
        return True if wait is None else wait
    return isinstance(exc, httpx.TransportError)


def send(
    client: httpx.Client, method: str, url: str, *, what: str, retries: int, **kwargs: Any
) -> httpx.Response:
    """One request, retried on 429/5xx and connection errors with exponential backoff (or exactly the
    server's Retry-After). Returns the last response, whatever its status; ProviderError if the server
    could not be reached or did not answer in time."""
    try:
        for attempt in stamina.retry_context(
            on=_backoff, attempts=retries + 1, timeout=None, wait_initial=0.5, wait_max=30.0
        ):
            with attempt:
                response = client.request(method, url, **kwargs)
                if response.status_code in RETRY_STATUSES and attempt.num <= retries:
                    response.close()
                    raise _RetryableStatus(response)
                return response
    except httpx.TimeoutException:
        raise ProviderError(
            f"{what}: no answer from {_host(url)} in time (REELFORGE_REQUEST_TIMEOUT)"
        ) from None
    except httpx.TransportError as exc:
        raise ProviderError(f"{what}: cannot reach {_host(url)}: {one_line(exc)}") from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _host(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def fetch_clip(
    request: ClipRequest,
    out: Path,
    cfg: Settings,
    *,
    what: str,
    submit: Callable[[], Job],
    check: Callable[[Job], str | None],
    cancel: Callable[[Job], object] | None = None,
    headers: dict[str, str] | None = None,
    deadline: float | None = None,
) -> Path:
    """The flow every hosted generator shares once its request is ready: `submit()` the job, poll
    `check(job)` until it returns the video's URL, then download the video to `out` fitted to the request.
    Past `deadline` (default: REELFORGE_PROVIDER_TIMEOUT from now) or on Ctrl-C the job is cancelled with
    `cancel(job)`, when given. `headers` go with the download to the URL's own host only."""
    if deadline is None:
        deadline = time.monotonic() + cfg.provider_timeout
    job = submit()
    url = poll(
        partial(check, job), what=what, first_wait=cfg.provider_poll_seconds, deadline=deadline,
        cancel=None if cancel is None else partial(cancel, job),
    )  # fmt: skip
    return download(
        url, Path(out), request, what=what, headers=headers, timeout=cfg.provider_request_timeout,
        retries=cfg.provider_retries,
    )  # fmt: skip


def poll(
    check: Callable[[], T | None],
    *,
    what: str,
    first_wait: float,
    deadline: float,
    cancel: Callable[[], object] | None = None,
) -> T:
    """Call `check` until it returns a result, waiting `first_wait` seconds, then 1.5x longer each time
    (at most 4x). `check` raises ProviderError when the job failed on the provider's side. Past
    `deadline` (time.monotonic) or on Ctrl-C the remote job is cancelled (best effort) before raising."""
    wait = first_wait
    while True:
        try:
            result = check()
            if result is not None:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            time.sleep(min(wait, left))
        except ProviderError:
            raise
        except TimeoutError:
            _cancel(cancel)
            raise ProviderError(
                f"{what}: the provider did not finish in time (job cancelled): "
                "raise REELFORGE_PROVIDER_TIMEOUT or try again later"
            ) from None
        except BaseException:
            _cancel(cancel)
            raise
        wait = min(wait * 1.5, first_wait * 4)


def _cancel(cancel: Callable[[], object] | None) -> None:
    if cancel is not None:
        with suppress(Exception):
            cancel()


def download(
    url: str,
    out: Path,
    request: ClipRequest,
    *,
    what: str,
    timeout: float,
    retries: int,
    headers: dict[str, str] | None = None,
) -> Path:
    """Stream the provider's video at `url` to a temporary file, check it is a video, and write it to `out`
    fitted to the request (`conform`). Nothing is left at `out` when it fails. `headers` (a key) go to
    `url`'s own host only, never to a host it redirects to."""
    origin = httpx.URL(url).netloc

    def own_host_only(sent: httpx.Request) -> None:
        if sent.url.netloc != origin:
            for name in headers or {}:
                sent.headers.pop(name, None)

    with _scratch(out) as raw:
        try:
            with httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                headers=headers,
                event_hooks={"request": [own_host_only]},
            ) as client:
                for attempt in stamina.retry_context(
                    on=httpx.TransportError,
                    attempts=retries + 1,
                    timeout=None,
                    wait_initial=0.5,
                    wait_max=10.0,
                ):
                    with attempt, client.stream("GET", url) as response:
                        if response.status_code != 200:
                            raise ProviderError(
                                f"{what}: downloading the video failed (HTTP {response.status_code})"
                            )
                        with raw.open("wb") as file:
                            for chunk in response.iter_bytes(1 << 20):
                                file.write(chunk)
        except httpx.HTTPError as exc:
            raise ProviderError(f"{what}: downloading the video failed: {one_line(exc)}") from None
        return conform(raw, out, request, what=what)


def save(data: bytes, out: Path, request: ClipRequest, *, what: str) -> Path:
    """A provider's video bytes, checked and written to `out` fitted to the request (`conform`)."""
    with _scratch(out) as raw:
        raw.write_bytes(data)
        return conform(raw, out, request, what=what)


@contextmanager
def _scratch(out: Path) -> Iterator[Path]:
    """A temporary file path in a hidden folder beside `out`, removed afterwards."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        yield Path(tmp) / "provider.mp4"


def conform(source: Path, out: Path, request: ClipRequest, *, what: str) -> Path:
    """The provider's clip -> `out` with the request's exact size, rate and frame count, as every
    generator delivers (the quality gate and the editor rely on it): scaled to cover and centre-cropped,
    retimed by repeating or dropping frames, audio dropped (the editor mixes narration and music). A clip
    up to PAD_SECONDS short (providers round their durations) ends on its held last frame; a clip shorter
    than that stays short and the quality gate rejects it as truncated."""
    try:
        video_info(source)
    except InputError:
        raise ProviderError(f"{what}: the provider's output is not a readable video") from None
    width, height, rate = request.width, request.height, request.fps
    pad = max(1, round(PAD_SECONDS * rate))
    graph = (
        f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos,crop={width}:{height},"
        f"setsar=1,fps={rate},tpad=stop={pad}:stop_mode=clone,format=yuv420p"
    )
    partial = out.with_name(f".{out.name}.partial.mp4")
    try:
        run_ffmpeg(
            ["-i", str(source), "-vf", graph, "-frames:v", str(request.num_frames), "-an", "-c:v", "libx264",
             "-preset", PRESET, "-crf", str(CRF), "-movflags", "+faststart", str(partial)],
            what=f"{what}: fitting the provider's clip to {width}x{height}@{rate}",
        )  # fmt: skip
        os.replace(partial, out)
    except RenderError as exc:
        raise ProviderError(str(exc)) from None
    finally:
        partial.unlink(missing_ok=True)
    return out


def seconds(request: ClipRequest) -> float:
    """How long the scene's clip is, from its frame count and rate."""
    return request.num_frames / request.fps


def covering(length: float, allowed: Sequence[int]) -> int:
    """The shortest allowed duration that covers `length` seconds, else the longest allowed."""
    fitting = [d for d in sorted(allowed) if d >= length - 1e-6]
    return fitting[0] if fitting else max(allowed)


def nearest_ratio(width: int, height: int, ratios: Sequence[str]) -> str:
    """The ratio ("W:H") in `ratios` whose shape is closest to width x height (compared as log aspect)."""

    def distance(ratio: str) -> float:
        w, h = (float(part) for part in ratio.split(":"))
        return abs(math.log(w / h) - math.log(width / height))

    return min(ratios, key=distance)


def image_bytes(path: Path, *, what: str) -> tuple[bytes, str]:
    """A reference image's bytes and MIME type; InputError if it is missing or of an unknown type."""
    path = Path(path)
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise InputError(f"{what}: reference image {path.name}: use a PNG, JPEG or WebP file")
    if not path.is_file():
        raise InputError(f"{what}: reference image {path} does not exist")
    return path.read_bytes(), mime


def data_uri(path: Path, *, what: str, limit: int) -> str:
    """The image as a `data:` URI of at most `limit` characters."""
    data, mime = image_bytes(path, what=what)
    uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    if len(uri) > limit:
        raise InputError(
            f"{what}: reference image {Path(path).name} makes a {len(uri) / 1e6:.1f} MB data URI, over the "
            f"provider's {limit / 1e6:.0f} MB: save it smaller (e.g. as JPEG)"
        )
    return uri


@contextmanager
def sdk_errors(sdk: ModuleType, *, what: str, key_name: str, secret: str) -> Iterator[None]:
    """Map a Stainless-generated SDK's errors (runwayml, lumaai: they retry 429/5xx themselves, honouring
    Retry-After) to reelforge's."""
    try:
        yield
    except sdk.APIStatusError as exc:
        raise status_error(
            exc.status_code, error_detail(exc.body), what=what, key_name=key_name, secret=secret
        ) from None
    except sdk.APITimeoutError:
        raise ProviderError(
            f"{what}: no answer from the provider in time (REELFORGE_REQUEST_TIMEOUT)"
        ) from None
    except sdk.APIConnectionError as exc:
        raise ProviderError(f"{what}: cannot reach the provider: {one_line(exc, secret)}") from None
