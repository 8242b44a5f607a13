"""All service settings in one place (environment variables prefixed FISCAL_, or a .env file)."""
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
    rate_limit_per_minute: int = 600          # per API key (per client address when no keys exist)
    extract_timeout_s: float = 60.0           # one document's extraction, then E008
    request_timeout_s: float = 120.0          # a whole request, then E008
    pool_workers: int = 1                     # extraction processes per server worker
    inline_max_chars: int = 20_000            # plain text up to this length is extracted in the server
                                              # process (no round trip to the pool); 0: all to the pool
    batch_max_documents: int = 100
    batch_concurrency: int = 2
    log_json: bool = True
    store_results: bool = True                # keep each extracted document for exports


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
