"""Polite defaults (robots.txt, AutoThrottle, 1–2 requests at a time per host, timeouts, a size
limit, a User-Agent with a contact address) and the switches the CLI sets."""
from __future__ import annotations

CONTACT = "fiscal-extract crawler; contact: opendata@fiscal-extract.dev"

DEFAULTS = {
    "BOT_NAME": "fiscal-extract",
    "USER_AGENT": f"fiscal-extract/0.1 (+{CONTACT})",
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0.5,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_MAX_DELAY": 30,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_TIMEOUT": 60,
    "DOWNLOAD_MAXSIZE": 50 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 20 * 1024 * 1024,
    "DOWNLOAD_FAIL_ON_DATALOSS": True,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "REDIRECT_MAX_TIMES": 5,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "HTTPERROR_ALLOW_ALL": False,
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    "TWISTED_DNS_RESOLVER": "crawler.middlewares.GuardedResolver",
    # web pages only: Scrapy's handlers for file:, data:, s3: and ftp: are switched off
    "DOWNLOAD_HANDLERS": {"file": None, "data": None, "s3": None, "ftp": None},
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.middlewares.SSRFGuard": 50,
        "crawler.middlewares.ConditionalRequests": 560,
        "crawler.middlewares.RedirectLoop": 610,
    },
    "ITEM_PIPELINES": {"crawler.pipelines.StorePipeline": 300},
    "EXTENSIONS": {"crawler.extensions.Progress": 500},
    "FEED_EXPORT_ENCODING": "utf-8",
}

UNPOLITE = {   # for the benchmark against our own test portal only
    "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def redis_settings(url: str, run_id: str) -> dict:
    """scrapy-redis: one frontier and one dupefilter in Redis, shared by every crawler process."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": f"fiscal:{run_id}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"fiscal:{run_id}:dupefilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 2,
        "REDIS_URL": url,
    }
