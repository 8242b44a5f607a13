"""API keys: ``fe_<id>_<secret>`` in ``Authorization: Bearer``, stored as a SHA-256 of the whole
key, each with scopes (``extract``, ``admin``). Until the first key is created the service is
open, and `fiscal-extract serve` then binds to loopback only; revoking every key closes it."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select

from extractors.errors import Errors, ExtractionError

from .store.models import ApiKey

SCOPES = ("extract", "admin", "metrics")      # metrics: /metrics only, for a scraper


@dataclass(frozen=True)
class Caller:
    key_id: str | None        # None: the service is open (no keys configured)
    scopes: frozenset[str]
    address: str

    @property
    def is_admin(self) -> bool:
        """An admin key, or anyone while the service is open: reads what every key brought."""
        return self.key_id is None or "admin" in self.scopes


def new_key(store, name: str, scopes: list[str]) -> str:
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}; use {', '.join(SCOPES)}")
    key_id = secrets.token_hex(6)
    key = f"fe_{key_id}_{secrets.token_urlsafe(24)}"
    with store.session.begin() as s:
        s.add(ApiKey(id=key_id, name=name, secret_hash=_hash(key), scopes=" ".join(scopes)))
    return key


def list_keys(store) -> list[ApiKey]:
    with store.session() as s:
        return list(s.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(store, key_id: str) -> bool:
    with store.session.begin() as s:
        row = s.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(timezone.utc)
        return True


def active_key_count(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))) or 0


def key_count(store) -> int:
    """All keys ever created, revoked ones too."""
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(ApiKey)) or 0


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCache:
    """Whether any key exists, and the keys seen lately, re-read every few seconds so that
    `keys create` and `keys revoke` take effect within ``ttl`` without a query per request."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl, self.checked, self.any = ttl, 0.0, False
        self._rows: dict[str, tuple[float, ApiKey | None]] = {}

    def stale(self) -> bool:
        return time.monotonic() - self.checked > self.ttl

    def refresh(self, store) -> None:
        # once a key exists the service stays closed, even when every key is revoked
        self.any = key_count(store) > 0
        self.checked = time.monotonic()
        self._rows.clear()

    def keys_exist(self, store) -> bool:
        if self.stale():
            self.refresh(store)
        return self.any

    def cached_row(self, key_id: str) -> tuple[bool, ApiKey | None]:
        hit = self._rows.get(key_id)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return False, None
        return True, hit[1]

    def load_row(self, store, key_id: str) -> ApiKey | None:
        with store.session() as s:
            row = s.get(ApiKey, key_id)
            if row is not None:
                s.expunge(row)
        self._rows[key_id] = (time.monotonic(), row)
        return row


async def authenticate(request: Request, authorization: str | None) -> Caller:
    """The caller; the store is read in a worker thread, and only when the cache is out of date."""
    app = request.app
    store, cache = app.state.store, app.state.key_cache
    address = request.client.host if request.client else "unknown"
    if cache.stale():
        await run_in_threadpool(cache.refresh, store)
    if not cache.any:
        return Caller(None, frozenset(SCOPES), address)
    if not authorization or not authorization.startswith("Bearer "):
        raise ExtractionError(Errors.E011, "send Authorization: Bearer <key>")
    key = authorization.removeprefix("Bearer ").strip()
    parts = key.split("_", 2)          # fe_<id>_<secret>; the secret may hold "_" itself
    if len(parts) != 3 or parts[0] != "fe":
        raise ExtractionError(Errors.E012, "the key is malformed")
    cached, row = cache.cached_row(parts[1])
    if not cached:
        row = await run_in_threadpool(cache.load_row, store, parts[1])
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(key)):
        raise ExtractionError(Errors.E012, "no such key")
    if row.revoked_at is not None:
        raise ExtractionError(Errors.E012, "the key was revoked")
    return Caller(row.id, frozenset(row.scopes.split()), address)


async def authorize(request: Request, scope: str, also: str | None = None) -> Caller:
    """The caller, who must hold ``scope`` (or ``also``); counted against the rate limit."""
    caller = await authenticate(request, request.headers.get("authorization"))
    if scope not in caller.scopes and also not in caller.scopes:
        raise ExtractionError(Errors.E013, f"this needs the '{scope}' scope")
    request.app.state.rate_limiter.take(caller.key_id or caller.address)
    request.state.key_id = caller.key_id
    return caller


def require(scope: str):
    """A dependency: ``authorize`` for ``scope``. The Authorization header is read from the request,
    not declared as a FastAPI header parameter (validated on every request); the OpenAPI document
    declares the bearer scheme on each operation that needs a key (``service.app.add_security``)."""
    async def dependency(request: Request) -> Caller:
        return await authorize(request, scope)
    dependency.auth_scope = scope            # type: ignore[attr-defined]
    return dependency


def key_scope(scope: str) -> dict:
    """``openapi_extra`` of an operation that calls ``authorize`` itself instead of depending on
    ``require``: the same security entry in the OpenAPI document."""
    return {KEY_SCOPE: scope}


KEY_SCOPE = "x-key-scope"
BEARER = {"type": "http", "scheme": "bearer",
          "description": "an API key made by `fiscal-extract keys create`; needed once any key exists"}


def security_requirements(dependant) -> list[str]:
    """The key scopes an operation's dependencies (made by ``require``) require."""
    found = []
    for sub in dependant.dependencies:
        scope = getattr(sub.call, "auth_scope", None)
        if scope is not None:
            found.append(scope)
        found += security_requirements(sub)
    return found


ExtractCaller = Annotated[Caller, Depends(require("extract"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]
