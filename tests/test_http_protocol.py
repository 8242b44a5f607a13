"""uvicorn's HTTP protocol with a response's head and body in one write (service.http_protocol)."""
import asyncio
import contextlib
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from service.http_protocol import HOLD_AT_MOST, HTTP_PROTOCOL, CoalescingTransport, HttpProtocol

from .conftest import free_port


class RecordingTransport:
    def __init__(self):
        self.writes, self.closed = [], False

    def write(self, data):
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def run_steps(*steps):
    """Each step in its own turn of a fresh event loop; the transport's writes after each."""
    async def main():
        transport = RecordingTransport()
        wrapped = CoalescingTransport(transport, asyncio.get_running_loop())
        seen = []
        for step in steps:
            step(wrapped)
            await asyncio.sleep(0)          # the turn ends: a held write goes out
            await asyncio.sleep(0)
            seen.append(list(transport.writes))
        return seen, transport
    return asyncio.run(main())


HEAD, BODY, BIG = b"HTTP/1.1 200 OK\r\n\r\n", b"{}", b"x" * (HOLD_AT_MOST + 1)


@pytest.mark.parametrize("writes,expected", [
    ((HEAD, BODY), [HEAD + BODY]),                 # head and body of one step: one write
    ((HEAD,), [HEAD]),                             # a head alone still goes out when the step ends
    ((BIG,), [BIG]),                               # large writes are never held
    ((HEAD, BIG), [HEAD + BIG]),
    ((HEAD, BODY, BODY), [HEAD + BODY, BODY]),     # at most one write is held
])
def test_writes_of_one_step(writes, expected):
    seen, _ = run_steps(lambda t: [t.write(w) for w in writes])
    assert seen[-1] == expected


def test_a_held_write_goes_out_before_close_and_not_after():
    seen, transport = run_steps(lambda t: (t.write(HEAD), t.close()))
    assert seen == [[HEAD]] and transport.closed
    seen, transport = run_steps(lambda t: (t.write(HEAD), setattr(t._transport, "closed", True)))
    assert seen == [[]]                            # the connection was closed under it: dropped, no error


def test_other_attributes_are_the_transport_s():
    seen, transport = run_steps(lambda t: None)
    wrapped = CoalescingTransport(transport, None)
    assert wrapped.get_extra_info("peername") == ("127.0.0.1", 1) and not wrapped.is_closing()


# ------------------------------------------------------------------ through a real uvicorn server
async def small(request):
    return Response(b'{"ok":true}', media_type="application/json")


async def large(request):
    return Response(b"0123456789" * 50_000, media_type="text/plain")


async def streamed(request):
    async def parts():
        for i in range(5):
            yield f"part {i}\n".encode()
            await asyncio.sleep(0.01)
    return StreamingResponse(parts(), media_type="text/plain")


APP = Starlette(routes=[Route("/small", small, methods=["GET", "HEAD"]), Route("/large", large),
                        Route("/streamed", streamed)])


@contextlib.contextmanager
def serving(protocol):
    """APP served by uvicorn with ``protocol`` on a free loopback port, in a thread."""
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, http=protocol,
                                             log_level="warning", lifespan="off"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not instance.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server():
    with serving(HTTP_PROTOCOL) as base:
        yield base


def test_responses_are_whole_over_one_kept_alive_connection(server):
    with httpx.Client(base_url=server, timeout=10) as client:
        for _ in range(3):
            r = client.get("/small")
            assert r.status_code == 200 and r.json() == {"ok": True}
            assert client.get("/large").content == b"0123456789" * 50_000
            assert client.get("/streamed").text == "".join(f"part {i}\n" for i in range(5))
        head = client.head("/small")
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "11"


class Recorder:
    """Between uvicorn's protocol and the socket's transport: what is written, write by write."""
    writes: list[bytes] = []

    def __init__(self, transport):
        self._transport = transport

    def write(self, data):
        Recorder.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class RecordedProtocol(HttpProtocol):
    def connection_made(self, transport):
        super().connection_made(Recorder(transport))


def test_each_answer_leaves_in_one_write():
    Recorder.writes.clear()
    with serving(RecordedProtocol) as base, httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(3):
            assert client.get("/small").json() == {"ok": True}
    assert len(Recorder.writes) == 3 and all(w.startswith(b"HTTP/1.1 200") and w.endswith(b'{"ok":true}')
                                             for w in Recorder.writes)
