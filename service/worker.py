"""Where a document is extracted.

Short plain text (at most ``inline_max_chars``) is extracted in the server process itself: it
takes a few milliseconds, bounded by its length, and a round trip to another process would cost
a good part of that again. Everything else (PDF, Office, HTML, long text) goes to a pool of child
processes, so that a document that takes too long is stopped (E008) and its process replaced
while the server goes on answering. The child returns the result already serialized (orjson
bytes), which is cheap to hand back.

Inline extractions that are ready in the same turn of the event loop run one after another (see
``Extractor._inline``), within the same bound on how long the loop is held."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import multiprocessing
import os
import resource
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import orjson
from pebble import ProcessPool
from pebble.common import ProcessExpired

from extractors import ExtractionError, extract
from extractors.decode import sniff, tools
from extractors.errors import Errors

from .observability import log


def exit_with_parent(interval: float = 1.0) -> None:
    """In a pool process: exit once the process that started it is gone. A parent killed outright
    (SIGKILL, the OOM killer) cannot stop its pool, and the forked children, which hold the pool's
    pipes open themselves, would wait for work forever. (PR_SET_PDEATHSIG would fire when the
    *thread* that started the child ends, and the crawler starts them from worker threads.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _warm() -> None:
    from extractors import warm_up
    warm_up()


_limits = {"memory_mb": 0, "timeout": None}      # of this pool process (set by its initializer)


def limit_memory(megabytes: int) -> None:
    """This process may map at most ``megabytes``: past it an allocation fails (MemoryError)
    instead of the machine running out."""
    if megabytes:
        size = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))


def _near_memory_limit(share: float = 0.8) -> bool:
    """This process has mapped most of the address space its limit allows (the document's data
    is still held while its error is handled)."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit in (resource.RLIM_INFINITY, -1) or limit <= 0:
        return False
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    size = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:")), 0)
    return size >= share * limit


def start_pool_process(memory_mb: int = 0, timeout: float | None = None) -> None:
    """A pool process: exits with its parent, runs under the memory limit, stops its tools
    before the time limit, and starts warm."""
    exit_with_parent()
    _limits.update(memory_mb=memory_mb, timeout=timeout)
    limit_memory(memory_mb)
    tools.sweep()
    _warm()


def _run(source, filename, source_url, tokens, include_text, delay=0.0, progress=None) -> tuple[bool, bytes, dict | None]:
    if delay:                       # only the tests ask for a slow document
        time.sleep(delay)
    tools.set_deadline(_limits["timeout"])
    try:
        result = extract(source, filename, source_url, tokens, progress=progress).to_dict(include_text=include_text)
    except ExtractionError as e:
        return False, orjson.dumps(e.to_problem()), None
    except MemoryError:
        detail = f"reading this document needs more memory than the limit ({_limits['memory_mb']} MB)"
        return False, orjson.dumps(ExtractionError(Errors.E004, detail).to_problem()), None
    except Exception as e:       # a defect of ours: logged in full, answered with a code, not a bare 500
        if _near_memory_limit():
            # an allocation refused under the limit surfaces as other errors too (a C extension's
            # ImportError "failed to map segment", a library's SystemError or RuntimeError)
            detail = (f"reading this document needs more memory than the limit ({_limits['memory_mb']} MB): "
                      f"{type(e).__name__}")
            return False, orjson.dumps(ExtractionError(Errors.E004, detail).to_problem()), None
        log.exception("extraction failed on a %s document", type(source).__name__)
        return False, orjson.dumps(ExtractionError(Errors.E017, f"{type(e).__name__}: {e}").to_problem()), None
    summary = {"sha256": result["document"]["sha256"], "doc_type": result["document"]["doc_type"],
               "findings": [(f["rule"], f["severity"]) for f in result["findings"]]}
    try:
        payload = orjson.dumps(result)
    except (MemoryError, SystemError):
        # orjson reports a failed allocation as a SystemError with no exception set
        detail = f"writing this document's result needs more memory than the limit ({_limits['memory_mb']} MB)"
        return False, orjson.dumps(ExtractionError(Errors.E004, detail).to_problem()), None
    return True, payload, summary


_PROBE = "2021年本年收入合计1.00万元。"


def _unpack(ok: bool, payload: bytes, summary: dict | None) -> tuple[bytes, dict]:
    if not ok:
        problem = orjson.loads(payload)
        raise ExtractionError(getattr(Errors, problem["code"]), problem["detail"])
    return payload, summary


def guarded_pool(workers: int, timeout: float, memory_mb: int) -> ProcessPool:
    """Forked, not spawned (uvicorn's worker processes default to spawn): a child starts with the
    lexicons already loaded and shares their memory with its parent. Its processes hand their
    progress figures to this one (service.progress), which writes them."""
    from .progress import open_channel
    open_channel()
    return ProcessPool(max_workers=workers, context=multiprocessing.get_context("fork"),
                       initializer=functools.partial(start_pool_process, memory_mb, timeout))


def expired(e: ProcessExpired, memory_mb: int) -> ExtractionError:
    """A pool process that died mid-document: killed for memory, most likely."""
    return ExtractionError(Errors.E006, f"the extraction process ended ({e}); the document may need more "
                                        f"memory than the limit ({memory_mb} MB)")


def pool_failure(e: Exception, memory_mb: int) -> ExtractionError:
    """What a pool process handed back instead of an answer. A SystemError with no exception set
    (or a MemoryError) is an allocation that failed under the memory limit: building or sending
    a very large result; a broken pool, a process that died before it started on the document
    (receiving one too large for the limit)."""
    if isinstance(e, (MemoryError, SystemError)):
        return ExtractionError(Errors.E004, f"the result of this document needs more memory than the limit ({memory_mb} MB)")
    if isinstance(e, BrokenProcessPool):        # Pebble ≥ 5.2: the process died taking the document in
        return ExtractionError(Errors.E006, f"the extraction process ended while it took the document in ({e}); "
                                            f"the document may need more memory than the limit ({memory_mb} MB)")
    log.exception("extraction process failed")
    return ExtractionError(Errors.E017, f"{type(e).__name__}: {e}")


def _working(pool: ProcessPool, make) -> ProcessPool:
    """The pool, or a new one in its place once it has broken (Pebble ≥ 5.2 stops a pool whose
    process died before it started on a document: every later task would fail)."""
    if pool.active:
        return pool
    with contextlib.suppress(Exception):
        pool.stop()
        pool.join(timeout=5)
    return make()


class GuardedExtraction:
    """Extraction for callers without an event loop (the CLI, the crawler): each document in a
    pool process under the time and memory limits, a bad one answered with its problem."""

    def __init__(self, workers: int, timeout: float, memory_mb: int) -> None:
        self.workers, self.timeout, self.memory_mb = workers, timeout, memory_mb
        self.pool = guarded_pool(workers, timeout, memory_mb)

    def __call__(self, data, filename=None, source_url=None, include_text=True,
                 tokens=False, progress=None) -> tuple[dict | None, dict | None]:
        self.pool = _working(self.pool, lambda: guarded_pool(self.workers, self.timeout, self.memory_mb))
        future = self.pool.schedule(_run, args=(data, filename, source_url, tokens, include_text, 0.0, progress),
                                    timeout=self.timeout)
        try:
            ok, payload, _ = future.result()
        except (FutureTimeout, TimeoutError):
            return None, ExtractionError(Errors.E008, f"extraction took longer than {self.timeout} s").to_problem()
        except ProcessExpired as e:
            return None, expired(e, self.memory_mb).to_problem()
        except Exception as e:          # whatever the pool hands back, the batch goes on
            return None, pool_failure(e, self.memory_mb).to_problem()
        finally:
            tools.sweep()
        return (orjson.loads(payload), None) if ok else (None, orjson.loads(payload))

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=5)


class Extractor:
    def __init__(self, workers: int, timeout: float, inline_max_chars: int = 0, memory_mb: int = 0) -> None:
        self.inline_max_chars = inline_max_chars
        if inline_max_chars:
            _warm()         # before the pool starts, so that its forked processes start warm too
                            # (nothing to do when a pre-forking parent has loaded everything)
        self._waiting: collections.deque[tuple[asyncio.Future, tuple]] = collections.deque()   # see _inline
        self.pool = guarded_pool(workers, timeout, memory_mb)
        self.workers, self.timeout, self.memory_mb = workers, timeout, memory_mb

    def runs_inline(self, source, delay: float = 0.0) -> bool:
        """Short plain text: its extraction time is bounded by its length, well under the time limit."""
        if not self.inline_max_chars or delay:
            return False
        if isinstance(source, str):
            return len(source) <= self.inline_max_chars
        # bytes: every character takes one byte at least, so this many bytes are at most this many
        # characters; and only what is decoded as plain text
        return len(source) <= self.inline_max_chars and sniff(source, None) == "text"

    async def start(self) -> None:
        """Start the pool's processes now (with a tiny document), not on the first long document."""
        future = self.pool.schedule(_run, args=(_PROBE, None, None, False, False), timeout=self.timeout)
        _unpack(*await asyncio.wrap_future(future))

    async def run(self, source, filename=None, source_url=None, tokens=False, include_text=True,
                  delay: float = 0.0) -> bytes:
        """The contract JSON as bytes; raises ExtractionError for a bad document or a timeout."""
        payload, _ = await self.run_with_summary(source, filename, source_url, tokens, include_text, delay)
        return payload

    async def run_with_summary(self, source, filename=None, source_url=None, tokens=False, include_text=True,
                               delay: float = 0.0, progress=None) -> tuple[bytes, dict]:
        """The JSON bytes and a small summary (hash, type, finding rules), so that the server
        answers with the bytes as they are instead of parsing and serializing them again."""
        if self.runs_inline(source, delay):
            return _unpack(*await self._inline(source, filename, source_url, tokens, include_text))
        self.pool = _working(self.pool, lambda: guarded_pool(self.workers, self.timeout, self.memory_mb))
        future = self.pool.schedule(_run, args=(source, filename, source_url, tokens, include_text, delay, progress),
                                    timeout=self.timeout)
        try:
            ok, payload, summary = await asyncio.wrap_future(future)
        except (FutureTimeout, TimeoutError):
            raise ExtractionError(Errors.E008, f"extraction took longer than {self.timeout} s") from None
        except ProcessExpired as e:
            raise expired(e, self.memory_mb) from None
        except Exception as e:
            raise pool_failure(e, self.memory_mb) from None
        finally:
            if future.done():
                tools.sweep()
        return _unpack(ok, payload, summary)

    def _inline(self, *args) -> asyncio.Future:
        """The extraction of ``args`` in this process, together with the others that are ready in
        the same turn of the event loop: the requests that have arrived go through the HTTP layer,
        then their extractions run one after another, then their answers are written, instead of
        alternating between the two for each request. Measured with 16 clients on 2 workers: 5–8%
        more documents per second (each part finds its code and data still in the CPU's caches);
        a request on its own is extracted as before, one loop turn later."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._run_waiting)
        self._waiting.append((future, args))
        return future

    def _run_waiting(self) -> None:
        """The waiting extractions in the order they came, as many as fit in ``inline_max_chars``
        together (one at least): the event loop is held no longer than by one document of that
        length, as before, and what is left waits for the next turn."""
        budget = self.inline_max_chars
        while self._waiting:
            future, args = self._waiting[0]
            if future.cancelled():          # given up (timeout, client gone): not extracted at all
                self._waiting.popleft()
                continue
            if len(args[0]) > budget and budget < self.inline_max_chars:
                break
            self._waiting.popleft()
            budget -= len(args[0])
            try:
                future.set_result(_run(*args))
            except Exception as e:          # _run answers every extraction error itself; not this
                future.set_exception(e)
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._run_waiting)

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=5)
