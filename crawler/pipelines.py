"""The store pipeline: every fetched URL becomes a source row; each document is stored once
(by its SHA-256) and extracted once per extractor version as a task (``service.tasks``): in a
process pool on a worker thread, so that extraction never stalls the reactor's fetching, or, with
a broker (FISCAL_BROKER_URL), by the Celery workers."""
from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.internet.threads import deferToThread

from extractors import __version__, warm_up
from extractors.pipeline import is_disclosure
from service import tasks
from service.settings import get_settings
from service.store.models import CrawlRun, Source
from service.worker import GuardedExtraction


HEARTBEAT_S = 10.0


class StorePipeline:
    def __init__(self, workers: int, timeout: float, memory_mb: int) -> None:
        self.workers, self.timeout, self.memory_mb = workers, timeout, memory_mb
        self.lock = threading.Lock()        # SQLite takes one writer at a time

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(settings.getint("CRAWL_EXTRACT_WORKERS", 2), settings.getfloat("CRAWL_EXTRACT_TIMEOUT", 60),
                       settings.getint("CRAWL_EXTRACT_MEMORY_MB", 2048))
        pipeline.crawler = crawler
        pipeline.extracting = crawler.settings.getbool("CRAWL_EXTRACT", True)   # off: the benchmark's baseline
        pipeline.broker = get_settings() if get_settings().broker_url else None
        return pipeline

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.spider = spider
        self.store = spider.store
        if self.extracting and self.broker is None:
            warm_up()            # before the pool forks: its processes start with the lexicons loaded
        self.extract = GuardedExtraction(self.workers, self.timeout, self.memory_mb) if self.broker is None else None
        self.worker, self.lease = tasks.worker_id(), tasks.lease_s(self.timeout)
        try:
            with self.store.session.begin() as s:
                run = s.get(CrawlRun, spider.run_id)
                if run is None:      # started from the command line (the API writes the row itself)
                    run = CrawlRun(id=spider.run_id, portal=spider.portal.name[:200])
                    s.add(run)
                run.status, run.heartbeat_at = "running", datetime.now(timezone.utc)
                self.owner = run.api_key_id           # the key that started it may read what it stores
        except IntegrityError:
            self.owner = None   # another crawler process of this run created it first (distributed mode)
        self.heartbeat = task.LoopingCall(lambda: deferToThread(self._beat))
        self.heartbeat.start(HEARTBEAT_S, now=False)

    def _beat(self) -> None:
        """The run is alive: a crawl whose heartbeat stops (killed outright) shows as stalled."""
        try:
            with self.lock, self.store.session.begin() as s:
                run = s.get(CrawlRun, self.spider.run_id)
                if run is not None:
                    run.heartbeat_at = datetime.now(timezone.utc)
        except Exception:          # the next beat tries again; a crawl does not stop for this
            pass

    def close_spider(self, spider=None):
        spider = spider or self.spider
        if self.heartbeat.running:
            self.heartbeat.stop()
        if self.extract is not None:
            self.extract.close()
        stats = self.crawler.stats
        counts = {k: stats.get_value(f"fiscal/{k}", 0)
                  for k in ("pages", "documents", "extracted", "queued", "unchanged", "errors")}
        with self.store.session.begin() as s:
            run = s.get(CrawlRun, spider.run_id, with_for_update=True)     # processes of one run add up
            before = run.counts or {}
            run.counts = {k: before.get(k, 0) + v for k, v in counts.items()}
            run.status, run.finished_at = "finished", datetime.now(timezone.utc)

    async def process_item(self, item, spider=None):
        return await maybe_deferred_to_future(deferToThread(self._handle, dict(item)))

    def _handle(self, item: dict) -> dict:
        sha = None
        body, read = item.pop("body", None), None
        if body and item["kind"] == "page":
            body, read = self._judged(body, item)
        if body:
            sha = self._document(body, item, read)
        try:
            row = self._record(item, body, sha)
        except IntegrityError:              # another crawler process recorded this URL at the same moment
            row = self._record(item, body, sha)
        self.spider._known[item["url"]] = row
        return {"url": item["url"], "status": item["status"], "sha256": sha}

    def _record(self, item: dict, body: bytes | None, sha: str | None) -> Source:
        with self.lock, self.store.session.begin() as s:
            row = s.get(Source, item["url"]) or Source(url=item["url"])
            row.portal, row.kind, row.status = self.spider.portal.name, item["kind"], item["status"]
            row.http_status, row.error, row.run_id = item.get("http_status"), item.get("error"), self.spider.run_id
            row.failure = item.get("failure")
            row.fetched_at = datetime.now(timezone.utc)
            if item["status"] == "done":
                row.etag, row.last_modified = item.get("etag"), item.get("last_modified")
                row.media_type, row.size, row.sha256 = item.get("media_type"), len(body) if body else None, sha
                row.links = item.get("links")
            elif item["status"] == "unchanged" and item.get("etag"):
                row.etag = item["etag"]
            s.add(row)
        return row

    def _document(self, body: bytes, item: dict, read: dict | None = None) -> str:
        """The document stored, and extracted once per version (``read``: its result already)."""
        sha = hashlib.sha256(body).hexdigest()
        store = self.store
        try:
            with self.lock, store.session.begin() as s:
                store.put_document(s, body, item.get("media_type"), item.get("filename"), key_id=self.owner)
        except IntegrityError:
            pass                               # another crawler process stored it just now
        if not self.extracting or store.has_extraction(sha, __version__):
            return sha                          # the same file through another URL: extracted once
        with self.lock, store.session.begin() as s:
            fresh = tasks.ask(s, sha, __version__, item["url"])
        if self.broker is not None:
            if fresh:
                from service import broker
                broker.send([sha], __version__, self.broker)
                self.crawler.stats.inc_value("fiscal/queued")
            return sha
        extract = self._extract if read is None else (lambda *_: (read, None))
        ran = tasks.run(store, sha, __version__, extract, self.worker, self.lease)
        if isinstance(ran, tasks.Ran):
            self.crawler.stats.inc_value("fiscal/extracted" if ran.error is None else "fiscal/errors")
        return sha

    def _judged(self, body: bytes, item: dict) -> tuple[bytes | None, dict | None]:
        """A page the lexicon's first test let through, kept when the extractor reads a
        disclosure in it: (the page, its result, which its task then takes), or (None, None). With
        a broker the workers read it, and a page that is none is kept with its result."""
        if not self.extracting or self.broker is not None:
            self.crawler.stats.inc_value("fiscal/documents")
            return body, None
        result, _ = self.extract(body, None, item["url"], include_text=False)
        if result is None or not is_disclosure(result):
            return None, None
        self.crawler.stats.inc_value("fiscal/documents")
        return body, result

    def _extract(self, data: bytes, filename: str | None, url: str | None, progress=None):
        return self.extract(data, filename, url, include_text=False, progress=progress)
