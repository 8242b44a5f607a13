"""What became of a fetch that failed, in classes a person can act on (DNS, refused, timeout, 4xx,
5xx, robots …), and Scrapy's log kept free of tracebacks for faults of the network: those are
counted and summed up at the end of the crawl instead."""
from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

CLASSES = {
    "dns": "the host name does not resolve (DNS)",
    "refused": "the connection was refused",
    "timeout": "no answer in time",
    "connection": "the connection broke off",
    "4xx": "the page is not there or not allowed (4xx)",
    "5xx": "the server failed (5xx)",
    "robots": "robots.txt forbids it",
    "guard": "a private or loopback address, or another scheme (refused by the crawler)",
    "redirect": "a redirect loop or a redirect off the portal",
    "data_loss": "the answer was cut short",
    "other": "another fault",
}

try:                                           # Scrapy ≥ 2.13 wraps the DNS error in its own
    from scrapy.exceptions import CannotResolveHostError
    _DNS: tuple = (net.DNSLookupError, CannotResolveHostError)
except ImportError:
    _DNS = (net.DNSLookupError,)
_TIMEOUT = (net.TimeoutError, net.TCPTimedOutError)
_CONNECTION = (net.ConnectionLost, net.ConnectionDone, ResponseNeverReceived, ResponseFailed, net.ConnectError)


def classify(failure) -> str:
    """The class of a Twisted failure of a request (or of its exception)."""
    exc = getattr(failure, "value", failure)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "5xx" if status >= 500 else "4xx"
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return "robots"
        if message.startswith("refused"):
            return "guard"
        if "redirect" in message:
            return "redirect"
        return "other"
    if isinstance(exc, _DNS):
        return "dns"
    if isinstance(exc, net.ConnectionRefusedError):
        return "refused"
    if isinstance(exc, _TIMEOUT) or type(exc).__name__ in ("TimeoutError", "DownloadTimeoutError"):
        return "timeout"
    if "DataLoss" in type(exc).__name__ or "DataLoss" in str(exc):
        return "data_loss"
    if isinstance(exc, _CONNECTION):
        return "connection"
    return "other"


def is_network_fault(exc: BaseException | None) -> bool:
    return exc is not None and classify(exc) in ("dns", "refused", "timeout", "connection", "data_loss")


class QuietNetworkFaults(logging.Filter):
    """Scrapy logs each network fault with its traceback (robots.txt that cannot be fetched, a
    request given up after its retries): they are the crawl's outcomes, reported once by class at
    the end, not defects."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if is_network_fault(exc):
            return False
        message = record.getMessage()
        if record.name.startswith("scrapy.downloadermiddlewares.retry") and "Gave up retrying" in message:
            return False
        if record.name.startswith("scrapy.downloadermiddlewares.robotstxt") and "Error downloading" in message:
            return False
        return True


def quiet_scrapy_logs() -> None:
    """The filter on the root handlers Scrapy logs through (and on its loggers, for handlers added later)."""
    quiet = QuietNetworkFaults()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, QuietNetworkFaults) for f in handler.filters):
            handler.addFilter(quiet)
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt",
                 "scrapy.core.scraper", "scrapy.core.engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietNetworkFaults) for f in logger.filters):
            logger.addFilter(quiet)
