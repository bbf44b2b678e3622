"""One client for every OpenAI-compatible chat endpoint (OpenAI, Groq, Ollama, vLLM, llama.cpp, LM Studio),
through the official `openai` SDK pointed at a base URL.

Structured answers use strict JSON-schema output generated from a pydantic model; an endpoint that rejects
`json_schema` (HTTP 400) is asked again in JSON mode with the schema in the prompt (and, if it rejects that
too, with the prompt alone), and remembered. Every answer is validated; an invalid one is sent back with
its errors for a bounded repair.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

from reelforge.config import Settings, settings
from reelforge.errors import AuthError, ConfigError, ModerationError, ProviderError, QuotaError

OPENAI_URL = "https://api.openai.com/v1"
GROQ_URL = "https://api.groq.com/openai/v1"
DEFAULT_MODELS = {"openai": "gpt-4.1-mini", "groq": "openai/gpt-oss-120b", "ollama": "llama3.2"}
SETTINGS_HINT = (
    "set LLM_BASE_URL + LLM_MODEL (any OpenAI-compatible server), OPENAI_API_KEY, GROQ_API_KEY or OLLAMA_HOST"
)
MAX_REPAIRS = 2

Message = dict[str, str]
T = TypeVar("T", bound=BaseModel)

_FORMAT_LEVEL: dict[tuple[str, str], int] = {}
"""(base URL, model) -> how far down structured output -> JSON mode -> prompt only it had to go (after an
HTTP 400 about `response_format`), so later requests start there."""


class Endpoint(BaseModel):
    """Where the LLM is: a preset name (openai, groq, ollama, custom), its base URL, model and key."""

    name: str
    base_url: str
    model: str
    api_key: SecretStr | None = None
    key_setting: str = "LLM_API_KEY"
    """The setting to fix when the key is refused."""


def available() -> tuple[bool, str]:
    """Whether topic planning and chat can run here, and which endpoint (or what to set)."""
    try:
        import openai  # noqa: F401
    except ImportError:
        return False, "pip install 'reelforge[llm]'"
    try:
        found = endpoint()
    except ConfigError as exc:
        return False, str(exc)
    if found is None:
        return False, f"no LLM configured: {SETTINGS_HINT}"
    return True, f"{found.name}: {found.model} at {_shown(found.base_url)}"


def endpoint(config: Settings | None = None) -> Endpoint | None:
    """The configured endpoint: LLM_BASE_URL first, then OPENAI_API_KEY, GROQ_API_KEY, OLLAMA_HOST."""
    config = config or settings()
    model = config.llm_model
    if config.llm_base_url:
        if not model:
            raise ConfigError("LLM_BASE_URL is set but LLM_MODEL is not: set LLM_MODEL to a model it serves")
        return Endpoint(name="custom", base_url=config.llm_base_url, model=model, api_key=config.llm_api_key)
    presets = (
        ("openai", OPENAI_URL, config.openai_api_key, "OPENAI_API_KEY"),
        ("groq", GROQ_URL, config.groq_api_key, "GROQ_API_KEY"),
    )
    for name, base_url, preset_key, key_setting in presets:
        if preset_key:
            return Endpoint(
                name=name,
                base_url=base_url,
                model=model or DEFAULT_MODELS[name],
                api_key=config.llm_api_key or preset_key,
                key_setting=key_setting,
            )
    if config.ollama_host:
        return Endpoint(
            name="ollama",
            base_url=_ollama_url(config.ollama_host),
            model=model or DEFAULT_MODELS["ollama"],
            api_key=config.llm_api_key,
        )
    return None


def _shown(url: str) -> str:
    """`url` as messages show it: without a `user:password@` part (a secret)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _ollama_url(host: str) -> str:
    """OLLAMA_HOST as Ollama reads it (`host:port`, maybe with a scheme) -> its OpenAI-compatible /v1."""
    url = host if "://" in host else f"http://{host}"
    url = url.replace("://0.0.0.0", "://127.0.0.1").rstrip("/")
    if url.count(":") == 1:  # no port given
        url += ":11434"
    return url + "/v1"


_DROPPED = frozenset({
    "default", "title", "minLength", "maxLength", "pattern", "format", "minItems", "maxItems", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum",
})  # fmt: skip
"""Keywords left out of the schema sent: not every strict-mode endpoint takes them. Limits are stated in the
fields' descriptions and enforced by validation (with repair) instead."""


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form every strict structured-output endpoint accepts: every property
    required, no extra properties, no defaults or validation keywords."""

    def tighten(node: Any) -> Any:
        if isinstance(node, list):
            return [tighten(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {
            key: {name: tighten(v) for name, v in value.items()}
            if key in ("properties", "$defs")
            else tighten(value)
            for key, value in node.items()
            if key not in _DROPPED
        }
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out["properties"])
        return out

    return tighten(model.model_json_schema())


class LLMClient:
    """Chat completions against one endpoint: plain text, streamed text, or a validated pydantic answer."""

    def __init__(self, where: Endpoint, *, timeout: float = 120.0, max_retries: int = 3) -> None:
        try:
            from openai import OpenAI
        except ImportError:
            raise ConfigError("LLM planning needs the openai package: pip install 'reelforge[llm]'") from None
        self.endpoint = where
        self.timeout = timeout
        key = where.api_key.get_secret_value() if where.api_key else "unused"  # local servers need no key
        self._client = OpenAI(base_url=where.base_url, api_key=key, timeout=timeout, max_retries=max_retries)

    @classmethod
    def from_settings(cls, config: Settings | None = None, *, model: str = "") -> LLMClient:
        """The configured client; ConfigError naming the settings to set when there is none."""
        config = config or settings()
        where = endpoint(config)
        if where is None:
            raise ConfigError(f"no LLM configured for topic planning and chat: {SETTINGS_HINT}")
        if model:
            where = where.model_copy(update={"model": model})
        return cls(where, timeout=config.llm_timeout, max_retries=config.llm_max_retries)

    @property
    def label(self) -> str:
        return f"LLM {self.endpoint.model!r} ({self.endpoint.name}, {_shown(self.endpoint.base_url)})"

    def models(self) -> list[str]:
        """Model ids the endpoint serves (GET /models)."""
        with self._errors():
            return sorted(m.id for m in self._client.models.list())

    def complete(self, messages: list[Message], *, schema: type[BaseModel] | None = None) -> str:
        """The answer's text; with `schema`, a JSON object the endpoint was told to follow: through strict
        JSON-schema output, else JSON mode, else the prompt alone, whichever the endpoint accepts first."""
        if schema is None:
            return self._create(messages, None)
        key = (self.endpoint.base_url, self.endpoint.model)
        shape = strict_schema(schema)
        rule = "Answer with one JSON object (no prose, no code fence) following this JSON schema:\n"
        prompted = [{"role": "system", "content": rule + json.dumps(shape, ensure_ascii=False)}, *messages]
        attempts: list[tuple[list[Message], dict[str, Any] | None]] = [
            (messages, {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": shape,
                                                               "strict": True}}),
            (prompted, {"type": "json_object"}),
            (prompted, None),
        ]  # fmt: skip
        for level in range(_FORMAT_LEVEL.get(key, 0), len(attempts)):
            try:
                return self._create(*attempts[level])
            except _FormatRejected:
                _FORMAT_LEVEL[key] = level + 1
        raise AssertionError("unreachable: the last attempt sends no response_format")

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """The answer as it is written, as text deltas."""
        with self._errors():
            chunks = self._client.chat.completions.create(
                model=self.endpoint.model, messages=messages, stream=True
            )
            for chunk in chunks:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if getattr(delta, "refusal", None):
                    raise ModerationError(f"{self.label} refused: {delta.refusal}")
                if delta.content:
                    yield delta.content

    def ask(self, messages: list[Message], answer: type[T], *, what: str, context: Any = None) -> T:
        """A validated `answer`; invalid output is sent back with its errors, at most MAX_REPAIRS times."""
        messages = list(messages)
        for _attempt in range(MAX_REPAIRS + 1):
            raw = self.complete(messages, schema=answer)
            try:
                return answer.model_validate_json(_unfenced(raw), context=context)
            except ValidationError as exc:
                problems = describe(exc)
            messages += [
                {"role": "assistant", "content": raw},
                {
                    "role": "user",
                    "content": f"That answer is invalid: {problems}. "
                    "Reply with the corrected JSON object only.",
                },
            ]
        saved = _save_raw(raw, what)
        raise ProviderError(
            f"{self.label} gave no valid {what} after {MAX_REPAIRS} repairs ({problems}); "
            f"its last answer is saved in {saved}"
        )

    def _create(self, messages: list[Message], response_format: dict[str, Any] | None) -> str:
        extra = {"response_format": response_format} if response_format else {}
        with self._errors(format_sent=bool(response_format)):
            reply = self._client.chat.completions.create(
                model=self.endpoint.model, messages=messages, **extra
            )
        if not reply.choices:
            raise ProviderError(f"{self.label} answered with no choices")
        choice = reply.choices[0]
        if choice.message.refusal:
            raise ModerationError(f"{self.label} refused: {choice.message.refusal}")
        if choice.finish_reason == "content_filter":
            raise ModerationError(f"{self.label} withheld its answer (content filter): reword the request")
        if choice.finish_reason == "length":
            raise ProviderError(f"{self.label} stopped at its token limit before finishing the answer")
        return choice.message.content or ""

    @contextmanager
    def _errors(self, *, format_sent: bool = False) -> Iterator[None]:
        """Translate the SDK's errors (after its own retries) into reelforge's, naming what to fix."""
        import openai

        try:
            yield
        except openai.APITimeoutError:
            raise ProviderError(
                f"{self.label} did not answer within {self.timeout:g} s (raise LLM_TIMEOUT?)"
            ) from None
        except openai.APIConnectionError:
            raise ProviderError(f"cannot reach {self.label}: is the server up and the URL right?") from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise AuthError(
                f"{self.label} refused the key (HTTP {exc.status_code}): check {self.endpoint.key_setting}"
            ) from None
        except openai.RateLimitError as exc:
            raise QuotaError(f"{self.label} rate limit or quota exceeded: {_message(exc)}") from None
        except openai.NotFoundError as exc:
            raise ConfigError(
                f"{self.label} not found (HTTP 404: {_message(exc)}): set LLM_MODEL to a model it serves"
            ) from None
        except openai.BadRequestError as exc:
            if format_sent and _about_format(exc):
                raise _FormatRejected from None
            raise ProviderError(f"{self.label} rejected the request (HTTP 400): {_message(exc)}") from None
        except openai.APIStatusError as exc:
            raise ProviderError(f"{self.label} failed (HTTP {exc.status_code}): {_message(exc)}") from None


class _FormatRejected(Exception):
    """The endpoint refused the `response_format` sent."""


def _about_format(exc: Any) -> bool:
    text = f"{exc.param or ''} {_message(exc)}".lower()
    return any(word in text for word in ("response_format", "json_schema", "schema", "format"))


def _message(exc: Any) -> str:
    text = exc.body.get("message") if isinstance(exc.body, dict) else None  # the SDK unwraps {"error": ...}
    return str(text or exc.message).strip().splitlines()[0][:300]


def _unfenced(text: str) -> str:
    """JSON mode answers sometimes come in a Markdown code fence: take what is inside."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[-1].rsplit("```", 1)[0]
    return text


def describe(exc: ValidationError, limit: int = 5) -> str:
    """Validation errors as `field.path: message` items, for the model to repair and the user to read."""
    items = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "answer"
        items.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors()) - limit
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def _save_raw(raw: str, what: str) -> Path:
    folder = settings().cache_dir / "llm-answers"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{what.replace(' ', '-')}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}.txt"
    path.write_text(raw, encoding="utf-8")
    return path
