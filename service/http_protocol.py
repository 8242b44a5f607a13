"""uvicorn's HTTP protocol with a response's head and body sent in one write.

uvicorn writes the status line and headers as soon as the application starts its response,
then the body: two ``send`` calls, two TCP segments, and the client is woken (and answers with
an ACK) for a head that is useless without its body. Measured on the service under load, the
head's write was a tenth of a worker's CPU time. The same fix as aiohttp's "coalesce headers
and body into a single packet" (aio-libs/aiohttp#10991): a small first write is held until the
next write of the same event-loop step, or until that step ends, and goes out joined with it.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import get_settings

HOLD_AT_MOST = 16 * 1024      # a response head; larger writes are never held back
HEAD_TIMEOUT = get_settings().head_timeout_s        # 0: none
BODY_IDLE = get_settings().body_idle_timeout_s


class CoalescingTransport:
    """A transport whose small write waits for the next one of the same loop step (at most one
    write is ever held, so flow control and streamed bodies behave as before)."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
            self._transport.write(data)
        elif len(data) <= HOLD_AT_MOST:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        """Send a held write (at the end of the step it was made in, or before closing)."""
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`CoalescingTransport`, with the two
    timeouts uvicorn lacks: a request's head must arrive within ``HEAD_TIMEOUT`` seconds of the
    connection (or of its first byte, on a kept-alive connection), and its body may pause at most
    ``BODY_IDLE`` seconds; else the connection is closed. (Idle between requests is uvicorn's
    ``timeout_keep_alive``.) Without them a client that sends half a request holds a connection for
    ever, and a few thousand such clients hold a worker."""

    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._arm(HEAD_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(HEAD_TIMEOUT)

    def on_headers_complete(self) -> None:
        self._arm(BODY_IDLE)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._arm(BODY_IDLE)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        if seconds:
            self._read_timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.close()


HTTP_PROTOCOL = f"{__name__}:HttpProtocol"       # uvicorn's ``http`` setting
