"""Settings from the environment (and a `.env` file), with the variable names users already know."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reelforge"


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


def settings() -> Settings:
    return Settings()
