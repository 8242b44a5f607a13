"""A live progress line on stderr and a summary line at the end."""
from __future__ import annotations

import sys
import time

from scrapy import signals
from twisted.internet import task

from . import outcomes


class Progress:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.live = crawler.settings.getbool("CRAWL_PROGRESS", True) and sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def counts(self) -> dict:
        stats = self.crawler.stats
        return {k: stats.get_value(f"fiscal/{k}", 0) for k in ("pages", "documents", "extracted", "unchanged", "errors")}

    def opened(self, spider):
        outcomes.quiet_scrapy_logs()
        if self.live:
            self.loop.start(1.0, now=False)

    def show(self):
        c = self.counts()
        rate = (c["pages"] + c["documents"]) / max(1e-6, time.monotonic() - self.started)
        sys.stderr.write(f"\r{self.crawler.spider.portal.name}: pages {c['pages']} · documents {c['documents']} · "
                         f"extracted {c['extracted']} · unchanged {c['unchanged']} · errors {c['errors']} · "
                         f"{rate:.1f}/s   ")
        sys.stderr.flush()

    def closed(self, spider, reason):
        if self.loop.running:
            self.loop.stop()
        c = self.counts()
        elapsed = time.monotonic() - self.started
        sys.stderr.write(("\n" if self.live else "") +
                         f"crawl {spider.portal.name} ({spider.run_id}) {reason}: pages {c['pages']}, documents "
                         f"{c['documents']}, extracted {c['extracted']}, unchanged {c['unchanged']}, errors "
                         f"{c['errors']} in {elapsed:.1f} s\n")
        unrendered = self.crawler.stats.get_value("fiscal/render_unavailable", 0)
        if unrendered:
            sys.stderr.write(f"  {unrendered} page{'s' if unrendered > 1 else ''} built by scripts could not be rendered: "
                             "install Chromium (Debian package chromium)\n")
        for kind, (count, example) in sorted(spider.failures.items(), key=lambda kv: -kv[1][0]):
            sys.stderr.write(f"  failed: {count} URL{'s' if count > 1 else ''}: {outcomes.CLASSES[kind]} "
                             f"(e.g. {example})\n")
