"""A long extraction's progress, where the batch and job API read it: a PDF's pages done and
its pages in all, written to the document's extraction task in the store from the process that
extracts (a pool process, a worker on another machine), a few times a second at most."""
from __future__ import annotations

import functools
import time

from sqlalchemy import update

from .store.models import ExtractionTask

MIN_INTERVAL_S = 0.5


class PageProgress:
    """``progress(done, total)`` for one task; picklable (it crosses into the pool process), and
    never in the way: a store that cannot take the write loses a progress figure, not the work."""

    def __init__(self, db_url: str, sha: str, version: str) -> None:
        self.db_url, self.sha, self.version = db_url, sha, version
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        try:
            store = _store(self.db_url)
            with store.session.begin() as s:
                s.execute(update(ExtractionTask).where(ExtractionTask.document_sha256 == self.sha,
                                                       ExtractionTask.extractor_version == self.version)
                          .values(pages_done=done, pages_total=total))
        except Exception:
            pass


@functools.lru_cache(maxsize=4)
def _store(db_url: str):
    from .store.db import Store
    return Store(db_url)            # the schema is the service's: no migration from here
