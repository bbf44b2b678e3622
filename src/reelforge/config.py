"""Settings from the environment (and a `.env` file), with the variable names users already know."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelforge.errors import ConfigError


def _default_cache() -> Path:
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reelforge"


def _default_data() -> Path:
    import os

    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "reelforge"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    cache_dir: Path = Field(default_factory=_default_cache, validation_alias="REELFORGE_CACHE")
    """Where stage artifacts (voices, clips, segments) are kept for reuse."""
    hf_token: SecretStr | None = Field(None, validation_alias="HF_TOKEN")
    runwayml_api_secret: SecretStr | None = Field(None, validation_alias="RUNWAYML_API_SECRET")
    lumaai_api_key: SecretStr | None = Field(None, validation_alias="LUMAAI_API_KEY")
    gemini_api_key: SecretStr | None = Field(None, validation_alias="GEMINI_API_KEY")
    neura_ai_server: str | None = Field(None, validation_alias="NEURA_AI_SERVER")
    self_hosted_server: str | None = Field(None, validation_alias="SELF_HOSTED_SERVER")
    groq_api_key: SecretStr | None = Field(None, validation_alias="GROQ_API_KEY")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    chains: str | None = Field(None, validation_alias="REELFORGE_CHAINS")
    """JSON object of model id -> the models to try in order, replacing that model's built-in fallback
    chain, e.g. {"neura": ["neura", "ltx-video"]}; checked by the coordinator."""
    # -- local diffusers video models --
    models_dir: Path | None = Field(None, validation_alias="REELFORGE_MODELS_DIR")
    """Folder of diffusers pipelines saved as MODELS_DIR/<model id>; looked at before the HF cache."""
    device: str | None = Field(None, validation_alias="REELFORGE_DEVICE")
    """Torch device for local models (`cuda`, `cuda:1`, `cpu`); default: the first GPU, else the CPU."""
    offload: Literal["auto", "none", "model", "group", "sequential"] = Field(
        "auto", validation_alias="REELFORGE_OFFLOAD"
    )
    """GPU memory strategy for local models; `auto` picks from free VRAM (see docs/models.md)."""
    steps: int | None = Field(None, ge=1, le=200, validation_alias="REELFORGE_STEPS")
    """Denoising steps for local models, overriding the quality preset's."""
    speedups: str = Field("", validation_alias="REELFORGE_SPEEDUPS")
    """GPU speed-ups for local models, comma-separated: attention, compile, cache (off by default)."""
    # -- server: jobs, storage, API (reelforge serve / worker) --
    data_dir: Path = Field(default_factory=_default_data, validation_alias="REELFORGE_DATA")
    """Where the default SQLite databases and the local artifact store live."""
    database_url: str | None = Field(None, validation_alias="REELFORGE_DATABASE_URL")
    """Jobs, users and keys: `sqlite:///path.db` (default: DATA/reelforge.db) or `postgresql://...`."""
    system_database_url: str | None = Field(None, validation_alias="REELFORGE_SYSTEM_DATABASE_URL")
    """Durable-execution (DBOS) state; default: DATA/dbos.sqlite, or the PostgreSQL job database."""
    storage_url: str | None = Field(None, validation_alias="REELFORGE_STORAGE_URL")
    """Finished artifacts: a folder (default: DATA/artifacts) or `s3://bucket/prefix`."""
    s3_endpoint_url: str | None = Field(None, validation_alias="REELFORGE_S3_ENDPOINT_URL")
    """S3-compatible endpoint (MinIO, R2); empty means AWS."""
    video_token_cost: int = Field(1, ge=0, validation_alias="VIDEO_TOKEN_COST")
    """Credits one video costs."""
    video_token_costs: dict[str, int] = Field({}, validation_alias="REELFORGE_VIDEO_TOKEN_COSTS")
    """Overrides as JSON: {"MODEL": n, "MODEL:QUALITY": n, ":QUALITY": n}; the most specific wins."""
    gpu_slots: int = Field(1, ge=1, le=64, validation_alias="REELFORGE_GPU_SLOTS")
    """Jobs one worker makes clips for on the local GPU at once (it runs one job more, for CPU stages)."""
    webhook_secret: SecretStr | None = Field(None, validation_alias="REELFORGE_WEBHOOK_SECRET")
    """HMAC key for webhook signatures; default: a random key kept in DATA/webhook.key."""
    allow_private_urls: bool = Field(False, validation_alias="REELFORGE_ALLOW_PRIVATE_URLS")
    """Let webhooks and other URLs point at loopback/private addresses (off: SSRF protection)."""
    llm_base_url: str | None = Field(None, validation_alias="LLM_BASE_URL")
    """Any OpenAI-compatible endpoint (vLLM, llama.cpp, LM Studio, ...); overrides the presets below."""
    llm_model: str | None = Field(None, validation_alias="LLM_MODEL")
    llm_api_key: SecretStr | None = Field(None, validation_alias="LLM_API_KEY")
    ollama_host: str | None = Field(None, validation_alias="OLLAMA_HOST")
    llm_timeout: float = Field(120.0, gt=0, validation_alias="LLM_TIMEOUT")
    """Seconds to wait for one LLM answer."""
    llm_max_retries: int = Field(3, ge=0, le=10, validation_alias="LLM_MAX_RETRIES")
    """Retries on 429/5xx/connection errors (honouring Retry-After)."""
    # -- hosted video providers and the custom / self-hosted server protocol (docs/server-protocol.md) --
    neura_ai_token: SecretStr | None = Field(None, validation_alias="NEURA_AI_TOKEN")
    """Bearer token for NEURA_AI_SERVER, when the server asks for one."""
    self_hosted_token: SecretStr | None = Field(None, validation_alias="SELF_HOSTED_TOKEN")
    """Bearer token for SELF_HOSTED_SERVER, when the server asks for one."""
    runwayml_base_url: str | None = Field(None, validation_alias="RUNWAYML_BASE_URL")
    lumaai_base_url: str | None = Field(None, validation_alias="LUMAAI_BASE_URL")
    gemini_base_url: str = Field(
        "https://generativelanguage.googleapis.com/v1beta", validation_alias="GOOGLE_GEMINI_BASE_URL"
    )
    hf_inference_provider: str = Field("auto", validation_alias="HF_INFERENCE_PROVIDER")
    """Which Hugging Face Inference Provider serves the `-hf` models (`auto`, `fal-ai`, `replicate` ...)."""
    provider_poll_seconds: float = Field(5.0, gt=0, validation_alias="REELFORGE_POLL_SECONDS")
    """First wait between status checks of a hosted job; it grows 1.5x per check up to 4x."""
    provider_timeout: float = Field(900.0, gt=0, validation_alias="REELFORGE_PROVIDER_TIMEOUT")
    """Seconds a hosted clip may take from submission to downloaded file before the job is cancelled."""
    provider_request_timeout: float = Field(60.0, gt=0, validation_alias="REELFORGE_REQUEST_TIMEOUT")
    """Seconds one HTTP request to a video provider may take."""
    provider_retries: int = Field(3, ge=0, le=10, validation_alias="REELFORGE_PROVIDER_RETRIES")
    """Retries on 429/5xx/connection errors per request (honouring Retry-After)."""

    # -- voice engines (docs/voices.md) --
    piper_voices_dir: Path | None = Field(None, validation_alias="PIPER_VOICES_DIR")
    """Folder of Piper voices: <name>.onnx with <name>.onnx.json beside it."""
    kokoro_model_dir: Path | None = Field(None, validation_alias="KOKORO_MODEL_DIR")
    """Folder with a Kokoro ONNX model (kokoro-*.onnx) and its voices file (voices-*.bin)."""
    whisper_model_dir: Path | None = Field(None, validation_alias="WHISPER_MODEL_DIR")
    """A local faster-whisper (CTranslate2) model: word timings for engines that give none."""
    elevenlabs_api_key: SecretStr | None = Field(None, validation_alias="ELEVENLABS_API_KEY")
    elevenlabs_base_url: str | None = Field(None, validation_alias="ELEVENLABS_BASE_URL")
    openai_tts_base_url: str | None = Field(None, validation_alias="OPENAI_TTS_BASE_URL")
    """OpenAI TTS, or a server with the same /v1/audio/speech route; default: the SDK's (OPENAI_BASE_URL)."""
    openai_tts_model: str = Field("gpt-4o-mini-tts", validation_alias="OPENAI_TTS_MODEL")
    voice_timeout: float = Field(60.0, gt=0, validation_alias="REELFORGE_VOICE_TIMEOUT")
    """Seconds one request to a hosted voice engine may take."""
    voice_retries: int = Field(3, ge=0, le=10, validation_alias="REELFORGE_VOICE_RETRIES")
    """Retries on 429/5xx/connection errors per hosted voice request."""


def settings() -> Settings:
    """The settings now; ConfigError naming the variable when one is invalid (its value is not echoed:
    it may be a secret)."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]  # located by the variable's name (the fields' aliases)
        name = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"setting {name}: {error['msg']}") from None
