"""A long extraction's progress, where the batch and job API read it: a PDF's pages done and its
pages in all, on the document's extraction task in the store, a few times a second at most.

The extraction runs in a pool process forked from the one that owns the store. A forked process
must not use SQLite (its locks are per process, and the parent's lock bookkeeping is copied into
the child: a child's write can wait for ever), so a pool process only hands its figures to its
parent through a pipe made before the pool forks, and a thread of the parent writes them."""
from __future__ import annotations

import multiprocessing
import os
import threading
import time

from sqlalchemy import update

from .store.models import ExtractionTask

MIN_INTERVAL_S = 0.5

_channel = None            # (queue, the pid of the process that drains it)
_channel_lock = threading.Lock()


class PageProgress:
    """``progress(done, total)`` for one task; picklable (it crosses into the pool process), and
    never in the way: a figure that cannot be written is lost, the work is not."""

    def __init__(self, db_url: str, sha: str, version: str) -> None:
        self.db_url, self.sha, self.version = db_url, sha, version
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        figures = (self.db_url, self.sha, self.version, done, total)
        if _channel is not None and os.getpid() != _channel[1]:
            try:
                _channel[0].put(figures)
            except Exception:
                pass
            return
        write(*figures)


def open_channel() -> None:
    """The pipe from pool processes to this one, and the thread that writes what comes through
    it; made once, before a pool forks."""
    global _channel
    with _channel_lock:
        if _channel is not None and _channel[1] == os.getpid():
            return
        queue = multiprocessing.get_context("fork").SimpleQueue()
        _channel = (queue, os.getpid())
        threading.Thread(target=_drain, args=(queue,), name="page-progress", daemon=True).start()


def _drain(queue) -> None:
    while True:
        try:
            write(*queue.get())
        except Exception:
            time.sleep(0.1)


def write(db_url: str, sha: str, version: str, done: int, total: int) -> None:
    try:
        from .store import get_store
        store = get_store(db_url)
        with store.session.begin() as s:
            s.execute(update(ExtractionTask).where(ExtractionTask.document_sha256 == sha,
                                                   ExtractionTask.extractor_version == version)
                      .values(pages_done=done, pages_total=total))
    except Exception:
        pass
