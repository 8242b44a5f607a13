"""Running a crawl: the settings, the spider and the reactor, from the CLI or the API."""
from __future__ import annotations

import uuid

from scrapy.crawler import CrawlerProcess

from . import config
from .settings import DEFAULTS, UNPOLITE, redis_settings
from .spiders.portal import PortalSpider


def crawl(portal_file: str | None = None, seed: str | None = None, db_url: str = "sqlite:///var/fiscal.db",
          redis_url: str | None = None, run_id: str | None = None, allow_private: bool = False,
          polite: bool = True, extra: dict | None = None) -> str:
    portal = config.load(portal_file, seed)
    run_id = run_id or str(uuid.uuid4())
    settings = dict(DEFAULTS)
    if not polite:
        settings.update(UNPOLITE)
    if redis_url:
        settings.update(redis_settings(redis_url, run_id))
    settings["CRAWL_ALLOW_PRIVATE"] = allow_private
    settings.update(extra or {})
    process = CrawlerProcess(settings)
    process.crawl(PortalSpider, portal=portal, db_url=db_url, run_id=run_id)
    process.start()
    return run_id
