"""Running a crawl: the settings, the spider and the reactor, from the CLI or the API."""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse

from scrapy.crawler import CrawlerProcess

from service.settings import get_settings

from . import config, render
from .settings import DEFAULTS, UNPOLITE, redis_settings
from .spiders.portal import PortalSpider


def seeds(portal_file: str | None = None, seed: str | None = None, region: str | None = None) -> list[tuple[str, str]]:
    """(name, URL) of the pages a crawl would start from, fetching nothing."""
    if region:
        return config.region_seeds(region)
    portal = config.load(portal_file, seed)
    return [(portal.name, url) for url in portal.start_urls]


def crawl(portal_file: str | None = None, seed: str | None = None, db_url: str = "sqlite:///var/fiscal.db",
          redis_url: str | None = None, run_id: str | None = None, allow_private: bool = False,
          polite: bool = True, extra: dict | None = None, region: str | None = None) -> str:
    portal = config.load(portal_file, seed, region=bool(region))
    if region:
        seeds = config.region_seeds(region)
        portal.start_urls = [url for _, url in seeds]
        portal.allowed_domains = sorted({urlparse(u).hostname for u in portal.start_urls if urlparse(u).hostname})
        portal.name = region
    run_id = run_id or str(uuid.uuid4())
    settings = dict(DEFAULTS)
    if not polite:
        settings.update(UNPOLITE)
    if redis_url:
        settings.update(redis_settings(redis_url, run_id))
    settings["CRAWL_ALLOW_PRIVATE"] = allow_private
    if portal.render != "never":
        browser = render.settings(allow_private)
        handlers = {**settings["DOWNLOAD_HANDLERS"], **browser.pop("DOWNLOAD_HANDLERS", {})}
        settings.update(browser, DOWNLOAD_HANDLERS=handlers)
    settings["CRAWL_EXTRACT"] = os.environ.get("FISCAL_CRAWL_EXTRACT", "1") != "0"
    limits = get_settings()
    settings["CRAWL_EXTRACT_TIMEOUT"] = limits.extract_timeout_s
    settings["CRAWL_EXTRACT_MEMORY_MB"] = limits.extract_memory_mb
    settings.update(extra or {})
    process = CrawlerProcess(settings)
    process.crawl(PortalSpider, portal=portal, db_url=db_url, run_id=run_id)
    process.start()
    return run_id
