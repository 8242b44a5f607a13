"""Limits: request body size (413 before the body is read in full), a per-key rate limit (429
with Retry-After), and a whole-request timeout."""
from __future__ import annotations

import asyncio
import math
import threading
import time

from extractors.errors import Errors, ExtractionError

from .observability import header, log
from .problems import problem_response


class RateLimitExceeded(ExtractionError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(Errors.E014, f"try again in {math.ceil(retry_after)} s")
        self.retry_after = math.ceil(retry_after)


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, who: str) -> None:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1:
                self.buckets[who] = (tokens, now)
                raise RateLimitExceeded((1 - tokens) / self.rate)
            self.buckets[who] = (tokens - 1, now)


TOKEN_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = math.min(capacity, (tonumber(b[1]) or capacity) + (now - (tonumber(b[2]) or now)) * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {ok, tostring(tokens)}
"""


class SharedRateLimiter(RateLimiter):
    """The same bucket in Redis, shared by every worker process (and machine) of the service, so
    that 600/min is 600/min however many workers answer. Redis keeps the time (its TIME), so the
    workers' clocks do not matter. If Redis cannot be reached, each process limits on its own
    until it can (logged), rather than refusing or letting everything through."""

    def __init__(self, per_minute: int, url: str) -> None:
        super().__init__(per_minute)
        import redis
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.script = self.client.register_script(TOKEN_BUCKET)

    def take(self, who: str) -> None:
        import redis
        try:
            ok, tokens = self.script(keys=[f"fiscal:rate:{who}"], args=[self.capacity, self.rate])
        except redis.RedisError as e:
            log.warning("rate limit: Redis unavailable (%s); limiting in this process", type(e).__name__)
            return super().take(who)
        if not ok:
            raise RateLimitExceeded((1 - float(tokens)) / self.rate)


def rate_limiter(per_minute: int, redis_url: str | None) -> RateLimiter:
    return SharedRateLimiter(per_minute, redis_url) if redis_url else RateLimiter(per_minute)


class RequestLimits:
    """Pure ASGI, one layer for both limits of a request: a body over ``max_bytes`` is refused from
    its Content-Length, or as soon as the bytes received pass it (a chunked upload), without
    reading the rest (413, E004); a request that takes longer than ``seconds`` gets E008 (503)."""

    def __init__(self, app, max_bytes_of, seconds_of) -> None:
        self.app = app
        self.max_bytes_of = max_bytes_of
        self.seconds_of = seconds_of

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes_of()
        length = header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            error = ExtractionError(Errors.E004, f"{int(length)} bytes; the limit is {limit}")
            return await problem_response(error, scope.get("path"))(scope, receive, send)
        seen, started = 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise ExtractionError(Errors.E004, f"more than {limit} bytes")
            return message

        async def tracking_send(message):
            nonlocal started
            started = True
            await send(message)
        try:
            async with asyncio.timeout(self.seconds_of()):        # no extra task per request, unlike wait_for
                await self.app(scope, counted, tracking_send)
        except TimeoutError:
            if not started:
                error = ExtractionError(Errors.E008, f"the request took longer than {self.seconds_of()} s")
                await problem_response(error, scope.get("path"))(scope, receive, send)
