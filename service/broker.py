"""Celery as the work engine, when ``FISCAL_BROKER_URL`` names a broker (Redis or RabbitMQ).

One task, ``fiscal_extract.extract(sha256, version)``, on one queue per extractor version (a worker
of another version never takes it): acknowledged once it has run (a worker lost mid-task leaves
its message to be delivered again), one message at a time per worker thread. The workers extract
in a pool of child processes under the time and memory limits of the service
(``GuardedExtraction``), and write the result to the store, which is the result of record: Celery
keeps no results. ``service.tasks`` makes a second delivery a no-op.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from celery import Celery

from extractors import __version__

from . import tasks
from .settings import Settings, get_settings
from .store import get_store

log = logging.getLogger("fiscal_extract")
app = Celery("fiscal_extract")
HELD_RETRY_S = 30.0          # how soon a task another live worker holds is looked at again
SWEEP_S = 15.0


def queue_name(version: str = __version__) -> str:
    return f"fiscal-extract-{version}"


def lease_s(settings: Settings) -> float:
    return tasks.lease_s(settings.extract_timeout_s)


def visibility_s(settings: Settings) -> float:
    """Redis: an unacknowledged message is delivered again after this long (its worker was lost)."""
    return settings.broker_visibility_s or lease_s(settings) + 30


_configured: dict[str, tuple] = {}
_configure_lock = threading.Lock()


def configure(settings: Settings | None = None) -> Celery:
    """The Celery app set for these settings (once per broker and visibility: sending tasks from
    several threads does not rewrite the configuration each time)."""
    settings = settings or get_settings()
    key = (settings.broker_url, visibility_s(settings))
    with _configure_lock:
        if _configured.get("app") != key:
            if "app" in _configured:       # another broker: the connections of the last one go
                with contextlib.suppress(Exception):
                    app.close()
            _apply(settings)
            _configured["app"] = key
    return app


def _apply(settings: Settings) -> None:
    app.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        # Redis: a lost worker's unacknowledged message comes back after the visibility timeout,
        # looked for on every poll (kombu's default looks every 100 s)
        broker_transport_options={"visibility_timeout": visibility_s(settings), "unacked_restore_throttle": 1,
                                  "unacked_restore_interval": min(10.0, visibility_s(settings))},
        task_default_queue=queue_name(),
        task_serializer="json", accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )


@app.task(name="fiscal_extract.extract", bind=True, max_retries=None, acks_late=True)
def extract_task(self, sha: str, version: str):
    runtime = _runtime()
    outcome = tasks.run(runtime.store, sha, version, runtime.extract, runtime.worker, lease_s(runtime.settings))
    if isinstance(outcome, tasks.Held):
        raise self.retry(countdown=max(1.0, min(outcome.seconds_left, HELD_RETRY_S)))
    return None


def send(shas: list[str], version: str = __version__, settings: Settings | None = None) -> int:
    """Hand the tasks to the workers; how many messages went out. A broker that cannot be
    reached loses nothing: the rows stay queued and a sweep sends them again."""
    configure(settings)
    sent = 0
    try:
        with app.producer_or_acquire() as producer:
            for sha in shas:
                extract_task.apply_async((sha, version), queue=queue_name(version), producer=producer)
                sent += 1
    except Exception as e:
        log.warning("the broker took %d of %d tasks (%s: %s); the rest stay queued in the store",
                    sent, len(shas), type(e).__name__, e)
    return sent


def queue_length(settings: Settings | None = None, version: str = __version__) -> int | None:
    """Messages waiting in the broker for this version's workers (None: the broker cannot say)."""
    from amqp.exceptions import ChannelError
    configure(settings)
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            try:
                return conn.default_channel.queue_declare(queue=queue_name(version), passive=True).message_count
            except ChannelError as e:   # 404: no worker declared it yet (AMQP), or empty (Redis drops the list)
                if str(getattr(e, "reply_code", "")) == "404":
                    return 0
                raise
    except Exception:
        return None


def sweep(settings: Settings, version: str = __version__) -> int:
    """Tasks nobody works on, sent again: running under a lease that ran out, or queued while the
    broker's queue is empty (their message was lost: a broker restarted without it). At most once
    per visibility period, by one sender however many processes sweep; a second message for a
    task is a no-op anyway."""
    store = get_store(settings.database_url)
    period = visibility_s(settings)
    queued_for = period if queue_length(settings, version) == 0 else None
    cutoff = tasks.now() - timedelta(seconds=period)
    mine = [sha for sha in tasks.unfinished(store, version, queued_for)
            if tasks.mark_sent(store, sha, version, cutoff)]
    return send(mine, version, settings) if mine else 0


class _Runtime:
    """A worker process's store and extraction pool, made once, before its threads take tasks."""

    def __init__(self, settings: Settings, concurrency: int) -> None:
        from extractors import warm_up
        from .worker import GuardedExtraction
        warm_up()                     # before the pool forks: its processes start with the lexicons
        self.settings = settings
        self.store = get_store(settings.database_url)
        self.worker = tasks.worker_id()
        self.pool = GuardedExtraction(concurrency, settings.extract_timeout_s, settings.extract_memory_mb)

    def extract(self, data: bytes, filename: str | None, source_url: str | None, progress=None):
        return self.pool(data, filename, source_url, include_text=False, progress=progress)


_runtime_lock = threading.Lock()
_state: dict[str, _Runtime] = {}


def _runtime() -> _Runtime:
    with _runtime_lock:
        if "runtime" not in _state:
            settings = get_settings()
            _state["runtime"] = _Runtime(settings, worker_concurrency(settings))
        return _state["runtime"]


def worker_concurrency(settings: Settings) -> int:
    return settings.worker_concurrency or os.cpu_count() or 1


def run_worker(settings: Settings, concurrency: int, loglevel: str = "INFO") -> int:
    """``fiscal-extract worker``: take this version's tasks with ``concurrency`` threads, each
    extracting in one of as many pool processes; sweep for lost tasks meanwhile."""
    configure(settings)
    with _runtime_lock:
        _state["runtime"] = _Runtime(settings, concurrency)
    stop = threading.Event()
    threading.Thread(target=_sweep_forever, args=(settings, stop), name="task-sweep", daemon=True).start()
    worker = app.Worker(hostname=f"fiscal-{os.getpid()}@{socket.gethostname()}", pool_cls="threads",
                        concurrency=concurrency, queues=[queue_name()], loglevel=loglevel,
                        without_gossip=True, without_mingle=True, without_heartbeat=True, quiet=True)
    try:
        worker.start()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            _state["runtime"].pool.close()
    return worker.exitcode or 0


def _sweep_forever(settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(SWEEP_S):
        try:
            sweep(settings)
        except Exception:            # a store or broker down now is tried again at the next sweep
            log.exception("task sweep failed")
            time.sleep(1)
