"""The user's own video server: the custom "Neura" server at NEURA_AI_SERVER and any SELF_HOSTED_SERVER.

Both speak one small HTTP contract, version 1, documented for implementers in docs/server-protocol.md:
`GET /v1/health`, `GET /v1/models`, `POST /v1/generate` -> job id, `GET /v1/jobs/{id}` (status, progress,
error), `GET /v1/jobs/{id}/video` (the MP4), `DELETE /v1/jobs/{id}`; optional bearer token
(NEURA_AI_TOKEN, SELF_HOSTED_TOKEN). Requests are retried on 429/5xx honouring Retry-After.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reelforge.config import Settings, settings
from reelforge.errors import ConfigError, ModerationError, ProviderError
from reelforge.generate.base import ClipRequest, ModelGenerator
from reelforge.generate.catalogue import ModelInfo

PROTOCOL_VERSION = 1
HEALTH_TIMEOUT = 3.0
"""Seconds `available()` waits for /v1/health: the catalogue asks every model at once."""

MODELS = [
    ModelInfo(
        id="neura", name="Neura (your custom server)", category="custom", provider="neura",
        target="reelforge.generate.server_protocol:NeuraGenerator", max_seconds=10.0,
        width=1280, height=720, fps=24, image_to_video=True,
        needs="NEURA_AI_SERVER=http://host:port (docs/server-protocol.md); NEURA_AI_TOKEN if it asks",
    ),
    ModelInfo(
        id="self-hosted", name="Self-hosted server", category="self-hosted", provider="self-hosted",
        target="reelforge.generate.server_protocol:SelfHostedGenerator", max_seconds=10.0,
        width=1280, height=720, fps=24, image_to_video=True,
        needs="SELF_HOSTED_SERVER=http://host:port (docs/server-protocol.md); SELF_HOSTED_TOKEN if it asks",
    ),
]  # fmt: skip


class ServerProtocolGenerator(ModelGenerator):
    """A generator for a server speaking docs/server-protocol.md; subclasses name the settings."""

    url_setting = ""
    token_setting = ""
    url_env = ""
    token_env = ""

    def _server(self, cfg: Settings) -> tuple[str, str | None]:
        url = getattr(cfg, self.url_setting)
        if not url:
            raise ConfigError(
                f"{self.id}: set {self.url_env} to your server's address, e.g. http://gpu-box:8000"
            )
        token = getattr(cfg, self.token_setting)
        return url.rstrip("/"), token.get_secret_value() if token else None

    def available(self) -> tuple[bool, str]:
        cfg = settings()
        if not getattr(cfg, self.url_setting):
            return False, f"set {self.url_env} to a server speaking docs/server-protocol.md"
        try:
            import httpx
        except ImportError:
            return False, "pip install 'reelforge[hosted]' (needs httpx)"
        url, token = self._server(cfg)
        shown = _shown(url)
        try:
            response = httpx.get(f"{url}/v1/health", headers=_auth(token), timeout=HEALTH_TIMEOUT)
        except httpx.HTTPError as exc:
            return False, f"{self.url_env}={shown} does not answer /v1/health ({type(exc).__name__})"
        if response.status_code in (401, 403):
            return False, f"{self.url_env}={shown} refused the token: set {self.token_env}"
        if response.status_code != 200:
            return False, f"{self.url_env}={shown}/v1/health answered HTTP {response.status_code}"
        return True, f"{shown} is up"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Submit the clip, poll the job until it ends, download its MP4 to `out`."""
        import httpx

        from reelforge.generate.hosted import common

        cfg = settings()
        url, token = self._server(cfg)
        what = f"{self.id} ({_shown(url)})"
        client = httpx.Client(headers=_auth(token), timeout=cfg.provider_request_timeout)

        def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            response = common.send(
                client, method, url + path, what=what, retries=cfg.provider_retries, **kwargs
            )
            return self._answer(response, what, token)

        def submit() -> str:
            return str(call("POST", "/v1/generate", json=_body(request, what))["id"])

        def check(job_id: str) -> str | None:
            job = call("GET", f"/v1/jobs/{job_id}")
            status = job.get("status")
            if status == "succeeded":
                return f"{url}/v1/jobs/{job_id}/video"
            if status in ("failed", "cancelled"):
                raise _job_error(job.get("error") or {}, status, what, token)
            if status not in ("queued", "running"):
                raise ProviderError(f"{what}: unknown job status {status!r}: the server breaks protocol v1")
            return None

        with client:
            return common.fetch_clip(
                request, out, cfg, what=what, submit=submit, check=check, headers=_auth(token),
                cancel=lambda job_id: client.delete(f"{url}/v1/jobs/{job_id}"),
            )  # fmt: skip

    def _answer(self, response: Any, what: str, token: str | None) -> dict[str, Any]:
        from reelforge.generate.hosted import common

        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and error.get("code") == "moderation":
                raise _job_error(error, "failed", what, token)
            raise common.status_error(
                response.status_code,
                common.error_detail(body),
                what=what,
                key_name=self.token_env,
                secret=token,
            )
        if not isinstance(body, dict):
            raise ProviderError(f"{what}: answered {common.one_line(body, token, 80)!r}, not a JSON object")
        return body


class NeuraGenerator(ServerProtocolGenerator):
    """The user's custom "Neura" server at NEURA_AI_SERVER."""

    url_setting, token_setting = "neura_ai_server", "neura_ai_token"
    url_env, token_env = "NEURA_AI_SERVER", "NEURA_AI_TOKEN"


class SelfHostedGenerator(ServerProtocolGenerator):
    """Any server of the user's at SELF_HOSTED_SERVER."""

    url_setting, token_setting = "self_hosted_server", "self_hosted_token"
    url_env, token_env = "SELF_HOSTED_SERVER", "SELF_HOSTED_TOKEN"


def _shown(url: str) -> str:
    """`url` as messages show it: without a `user:password@` part (a secret)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _body(request: ClipRequest, what: str) -> dict[str, Any]:
    """The JSON of `POST /v1/generate` (docs/server-protocol.md)."""
    from reelforge.generate.hosted.common import image_bytes

    image = None
    if request.image is not None:
        data, mime = image_bytes(request.image, what=what)
        image = {"data": base64.b64encode(data).decode(), "mime_type": mime}
    return {
        "protocol": PROTOCOL_VERSION,
        "prompt": request.prompt,
        "width": request.width,
        "height": request.height,
        "fps": request.fps,
        "num_frames": request.num_frames,
        "seed": request.seed,
        "quality": request.quality,
        "image": image,
    }


def _job_error(error: dict[str, Any], status: str, what: str, token: str | None) -> ProviderError:
    from reelforge.generate.hosted.common import one_line

    message = one_line(error.get("message") or f"the job was {status}", token)
    if error.get("code") == "moderation":
        return ModerationError(f"{what}: the server refused the content ({message}): reword the scene")
    return ProviderError(f"{what}: job {status}: {message}")
