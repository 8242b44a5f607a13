"""The work engine: one task, to extract one stored document with one extractor version.

Every way of asking for work (a batch, ``reprocess``, the crawler) first writes the task's row in
the store (``extraction_tasks``, unique per document and version), then hands the task on: with
``FISCAL_BROKER_URL`` set, to the Celery workers (``fiscal-extract worker``, see ``service.broker``)
through the broker; without one, to the process that asked, which runs it itself as before.

Whoever runs a task claims its row first (a compare-and-set under a lease) and finishes it after:
a message delivered twice, a worker lost mid-task and its message delivered again, two servers
resuming the same batches after a restart, all extract the document once. The store is the
result of record; progress is read from these rows.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from extractors import Errors, ExtractionError

from .progress import PageProgress
from .store.db import Store, clean_text, upsert
from .store.models import BatchItem, Document, Extraction, ExtractionTask

log = logging.getLogger("fiscal_extract")
MAX_ATTEMPTS = 3          # claims of one task: a document that takes its worker down each time ends failed
FINISHED = ("done", "failed")

# (data, filename, source_url, progress) -> (result, problem); progress(pages_done, pages_total)
Extract = Callable[[bytes, "str | None", "str | None", Callable], "tuple[dict | None, dict | None]"]


# a task queued again: its claims, lease and outcome forgotten
_REQUEUED = {"status": "queued", "attempts": 0, "claimed_by": None, "lease_until": None, "error": None,
             "error_code": None, "finished_at": None}


def _task_of(sha: str, version: str):
    """The WHERE of one task's row."""
    return and_(ExtractionTask.document_sha256 == sha, ExtractionTask.extractor_version == version)


def now() -> datetime:
    return datetime.now(timezone.utc)


def lease_s(extract_timeout_s: float) -> float:
    """A claim outlives the extraction's own time limit: past it, its worker has surely stopped."""
    return extract_timeout_s * 2 + 30


def worker_id() -> str:
    """``host:pid``: on the same host, a claim whose process is gone is taken over at once."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """A task this worker holds: the document to extract and whose it is."""
    sha: str
    version: str
    worker: str
    data: bytes
    filename: str | None
    source_url: str | None


@dataclass(frozen=True)
class Ran:
    """The task ran here: its problem, or None."""
    error: dict | None


@dataclass(frozen=True)
class Held:
    """Another live worker holds the task; its lease runs this many more seconds."""
    seconds_left: float


# ------------------------------------------------------------------ asking for work
def ask(s: Session, sha: str, version: str, source_url: str | None = None) -> bool:
    """The task's row, written once for (document, version); True when this call wrote a queued
    row, which the caller then hands on. A document already extracted with this version (by
    ``/v1/extract``, or before tasks existed) gets a finished row instead."""
    if s.get(ExtractionTask, (sha, version)) is not None:
        return False
    values = {"document_sha256": sha, "extractor_version": version, "status": "queued", "attempts": 0,
              "source_url": clean_text(source_url, 2000), "enqueued_at": now()}
    stored = s.scalar(select(Extraction).where(Extraction.document_sha256 == sha,
                                               Extraction.extractor_version == version))
    if stored is not None:
        error = None if stored.result is not None else stored.error
        values.update(status="failed" if error else "done", finished_at=now(), error=error,
                      error_code=(error or {}).get("code"))
    inserted = s.execute(upsert(s, ExtractionTask).values(**values).on_conflict_do_nothing()
                         .returning(ExtractionTask.status)).first() is not None   # rowcount: -1 on psycopg
    if inserted and values["status"] != "queued":
        _end_items(s, sha, values["status"], values.get("error"))
    return inserted and values["status"] == "queued"


def retry_failed(store: Store, version: str) -> int:
    """Failed tasks of this version queued again (``reprocess --retry-failed``): after a limit was
    raised, or a tool installed."""
    with store.session.begin() as s:
        return s.execute(update(ExtractionTask).where(
            ExtractionTask.extractor_version == version, ExtractionTask.status == "failed"
        ).values(**_REQUEUED, enqueued_at=now())).rowcount


def ask_missing(store: Store, version: str, chunk: int = 1000) -> list[str]:
    """A queued task for every stored document without an extraction of this version (its task
    asked for now, or queued again if its row says finished while the extraction is not there);
    the documents queued by this call."""
    with store.session() as s:
        missing = list(s.scalars(select(Document.sha256).where(~select(Extraction.id).where(
            Extraction.document_sha256 == Document.sha256, Extraction.extractor_version == version).exists())))
    queued = []
    for i in range(0, len(missing), chunk):
        with store.session.begin() as s:
            for sha in missing[i:i + chunk]:
                if ask(s, sha, version) or s.execute(update(ExtractionTask).where(
                        _task_of(sha, version), ExtractionTask.status.in_(FINISHED)).values(
                        **_REQUEUED, enqueued_at=now())).rowcount:
                    queued.append(sha)
    return queued


def unfinished(store: Store, version: str, queued_for_s: float | None = 0.0, limit: int = 10_000) -> list[str]:
    """Documents whose task of this version nobody is working on: running under a lease that has
    run out (its worker was lost), and, unless ``queued_for_s`` is None, queued for that long."""
    t = now()
    lost = and_(ExtractionTask.status == "running", ExtractionTask.lease_until < t)
    waiting = (and_(ExtractionTask.status == "queued",
                    ExtractionTask.enqueued_at <= t - timedelta(seconds=queued_for_s))
               if queued_for_s is not None else None)
    with store.session() as s:
        return list(s.scalars(select(ExtractionTask.document_sha256).where(
            ExtractionTask.extractor_version == version, lost if waiting is None else or_(lost, waiting))
            .limit(limit)))


def mark_sent(store: Store, sha: str, version: str, sent_before: datetime) -> bool:
    """The right to send a task's message again, unless it was sent after ``sent_before`` (one
    sender however many sweep)."""
    with store.session.begin() as s:
        return s.execute(update(ExtractionTask).where(
            _task_of(sha, version),
            ExtractionTask.enqueued_at <= sent_before).values(enqueued_at=now())).rowcount == 1


# ------------------------------------------------------------------ doing it
def claim(store: Store, sha: str, version: str, worker: str, lease: float) -> Claim | Held | None:
    """The task for this worker (a Claim), Held by a live worker, or None once finished. Read,
    then compare-and-set in a transaction of its own that starts with the write (SQLite refuses to
    turn a stale read into a write)."""
    row = _snapshot(store, sha, version)
    if row is None:                        # a message whose row was never written: write it now
        with store.session.begin() as s:
            ask(s, sha, version)
        row = _snapshot(store, sha, version)
    if row is None or row.status in FINISHED:
        return None
    status, holder, attempts, lease_until = row.status, row.claimed_by, row.attempts, row.lease_until
    source_url = row.source_url
    t = now()
    if status == "running" and lease_until is not None and _aware(lease_until) > t and not _gone(holder):
        return Held((_aware(lease_until) - t).total_seconds())
    if attempts >= MAX_ATTEMPTS:
        lost = ExtractionError(Errors.E006, f"the extraction of this document was started {attempts} times and "
                                            "its worker was lost each time; the document may need more memory "
                                            "or time than the limits")
        _finish(store, sha, version, None, lost.to_problem(), None)
        return None
    with store.session.begin() as s:
        taken = s.execute(update(ExtractionTask).where(
            _task_of(sha, version),
            ExtractionTask.status == status, ExtractionTask.attempts == attempts,
        ).values(status="running", claimed_by=worker[:200], lease_until=t + timedelta(seconds=lease),
                 attempts=attempts + 1, started_at=t)).rowcount == 1
    if not taken:                          # another worker claimed it between the read and the write
        return Held(lease)
    with store.session() as s:
        doc = s.get(Document, sha)
        if doc is None:                    # deleted since it was asked for (its task row with it)
            return None
        return Claim(sha, version, worker, doc.content, doc.filename, source_url)


def finish(store: Store, claim: Claim, result: dict | None, error: dict | None, seconds: float | None) -> None:
    """The result (or the error) stored as the (document, version) extraction, and the task done.
    A result the store refuses (a defect, a full disk) ends the task failed with E017 all the
    same, if the store takes that; else the task stays claimed and is run again once its lease
    has run out."""
    try:
        _finish(store, claim.sha, claim.version, result, error, seconds)
    except Exception as e:
        log.exception("the result of %s could not be stored", claim.sha)
        problem = ExtractionError(Errors.E017, f"the result could not be stored: {type(e).__name__}: {e}").to_problem()
        with store.session.begin() as s:
            _close(s, claim.sha, claim.version, problem, seconds)


def _finish(store: Store, sha: str, version: str, result: dict | None, error: dict | None,
            seconds: float | None) -> None:
    with store.session.begin() as s:
        store.put_extraction(s, sha, version, result, None if result is not None else error)
        media_type = ((result or {}).get("document") or {}).get("source", {}).get("media_type")
        if media_type:                     # as read, not as the caller said (without loading the bytes)
            s.execute(update(Document).where(Document.sha256 == sha, Document.media_type.is_distinct_from(media_type))
                      .values(media_type=media_type))
        _close(s, sha, version, None if result is not None else error, seconds)
    store.remember(sha, version)


def _close(s: Session, sha: str, version: str, error: dict | None, seconds: float | None) -> None:
    """The task finished (failed with ``error``, else done), and so the queued batch items of its
    document."""
    status = "done" if error is None else "failed"
    s.execute(update(ExtractionTask).where(_task_of(sha, version)).values(status=status, finished_at=now(), lease_until=None, seconds=seconds, error=error,
             error_code=(error or {}).get("code")))
    _end_items(s, sha, status, error)


def _end_items(s: Session, sha: str, status: str, error: dict | None) -> None:
    """The queued batch items of a document whose task has finished (read with the task's state
    too: an item written after this still shows it)."""
    s.execute(update(BatchItem).where(BatchItem.document_sha256 == sha, BatchItem.status == "queued")
              .values(status=status, error=error))


def run(store: Store, sha: str, version: str, extract: Extract, worker: str, lease: float) -> Ran | Held | None:
    """Claim, extract with ``extract(data, filename, source_url) -> (result, problem)``, finish:
    Ran; else what ``claim`` answered (a Held task is for the caller to try again later)."""
    claimed = claim(store, sha, version, worker, lease)
    if not isinstance(claimed, Claim):
        return claimed
    started = time.perf_counter()
    try:
        result, error = extract(claimed.data, claimed.filename, claimed.source_url,
                                PageProgress(store.url, sha, version))
    except Exception as e:                 # a defect of ours or a store fault: the task still ends
        result, error = None, ExtractionError(Errors.E017, f"{type(e).__name__}: {e}").to_problem()
    finish(store, claimed, result, error, time.perf_counter() - started)
    return Ran(error if result is None else None)


# ------------------------------------------------------------------ progress
def counts(store: Store, version: str | None = None) -> dict:
    """Tasks by status, failures by error code, and the extraction time of the finished ones."""
    with store.session() as s:
        where = [] if version is None else [ExtractionTask.extractor_version == version]
        by_status = dict(s.execute(select(ExtractionTask.status, func.count()).where(*where)
                                   .group_by(ExtractionTask.status)).all())
        by_code = dict(s.execute(select(ExtractionTask.error_code, func.count()).where(
            ExtractionTask.status == "failed", *where).group_by(ExtractionTask.error_code)).all())
        n, total = s.execute(select(func.count(ExtractionTask.seconds), func.sum(ExtractionTask.seconds))
                             .where(ExtractionTask.seconds.is_not(None), *where)).one()
    return {"tasks": {k: by_status.get(k, 0) for k in ("queued", "running", "done", "failed")},
            "failed_by_code": {(k or "unknown"): v for k, v in sorted(by_code.items(), key=lambda kv: kv[0] or "")},
            "seconds": {"count": n or 0, "sum": float(total or 0.0)}}


def finished_counts(store: Store, version: str, shas: list[str], chunk: int = 1000) -> tuple[int, int]:
    """How many of these documents' tasks are done, and how many failed."""
    done = failed = 0
    with store.session() as s:
        for i in range(0, len(shas), chunk):
            states = dict(s.execute(select(ExtractionTask.status, func.count()).where(
                ExtractionTask.extractor_version == version,
                ExtractionTask.document_sha256.in_(shas[i:i + chunk])).group_by(ExtractionTask.status)).all())
            done, failed = done + states.get("done", 0), failed + states.get("failed", 0)
    return done, failed


def _snapshot(store: Store, sha: str, version: str) -> ExtractionTask | None:
    with store.session() as s:
        return s.get(ExtractionTask, (sha, version))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)     # SQLite hands datetimes back naive


def _gone(holder: str | None) -> bool:
    """The claimant ran on this host and its process no longer exists."""
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
