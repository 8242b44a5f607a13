"""All service settings in one place (environment variables prefixed FISCAL_)."""
from __future__ import annotations

import functools

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FISCAL_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    database_url: str = "sqlite:///var/fiscal.db"
    max_upload_bytes: int = 50 * 1024 * 1024
    include_text_default: bool = True


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
