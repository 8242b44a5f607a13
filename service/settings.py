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
    redis_url: str | None = None              # redis://…: the rate limit is shared by all workers; else per process
    extract_timeout_s: float = 60.0           # one document's extraction, then E008
    extract_memory_mb: int = 2048             # address space of an extraction process (and of each tool it runs)
    request_timeout_s: float = 120.0          # a whole request, then E008
    head_timeout_s: float = 10.0              # a request's head must arrive within this, else the connection closes
    body_idle_timeout_s: float = 30.0         # a request's body may pause this long at most
    pool_workers: int = 1                     # extraction processes per server worker
    inline_max_chars: int = 20_000            # plain text up to this length is extracted in the server
                                              # process (no round trip to the pool); 0: all to the pool
    batch_max_documents: int = 100
    batch_concurrency: int = 2
    log_json: bool = True
    store_results: bool = True                # keep each extracted document for exports
    crawl_max_running: int = 4                # crawl processes at once, over all keys
    crawl_max_per_key: int = 2
    crawl_log_dir: str = "var/crawls"         # each crawl's output, for GET /v1/crawls/{id}'s error
    public_url: str | None = None             # the service's public address (JSON-LD @context); else relative
    broker_url: str | None = None             # redis://… or amqp://…: extraction tasks go to Celery workers
                                              # (fiscal-extract worker); else each process runs its own
    broker_visibility_s: float | None = None  # Redis: an unacknowledged task is delivered again after this
                                              # (a lost worker's); default: the task lease + 30 s
    worker_concurrency: int = 0               # tasks at once per `fiscal-extract worker` (0: one per core)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
