"""Downloader middlewares: refuse private destinations (SSRF), and make requests conditional."""
from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urljoin, urlparse

from scrapy.exceptions import IgnoreRequest


@lru_cache(maxsize=4096)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        return tuple({info[4][0] for info in socket.getaddrinfo(host, None)})
    except socket.gaierror:
        return ()


def forbidden(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved
            or addr.is_multicast or addr.is_unspecified)


class SSRFGuard:
    """A crawler that follows links from the web must not be steered at the machine it runs on or
    its network: loopback, private and link-local destinations are refused after DNS resolution,
    for every request including each redirect, and checked again on the address actually
    connected to. ``crawl_allow_private`` (``--allow-private-addresses``) lifts this."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("CRAWL_ALLOW_PRIVATE"))

    def process_request(self, request, spider=None):
        if self.allow:
            return None
        host = urlparse(request.url).hostname or ""
        for ip in _addresses(host):
            if forbidden(ip):
                raise IgnoreRequest(f"refused: {host} resolves to {ip}, a private address (SSRF guard)")
        return None

    def process_response(self, request, response, spider=None):
        if not self.allow and response.ip_address is not None and forbidden(str(response.ip_address)):
            raise IgnoreRequest(f"refused: connected to {response.ip_address}, a private address (SSRF guard)")
        return response


class ConditionalRequests:
    """A URL fetched before is asked for with If-None-Match / If-Modified-Since."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        known = spider.known(request.url)
        if known is None or request.meta.get("unconditional"):
            return None
        if known.etag:
            request.headers.setdefault("If-None-Match", known.etag)
        if known.last_modified:
            request.headers.setdefault("If-Modified-Since", known.last_modified)
        return None


class RedirectLoop:
    """A redirect back to a URL already in the chain is a loop: fail it with that reason (the
    dupefilter would otherwise drop it without a word)."""

    def process_response(self, request, response, spider=None):
        if response.status in (301, 302, 303, 307, 308) and b"Location" in response.headers:
            target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
            chain = request.meta.get("redirect_urls", []) + [request.url]
            if target in chain:
                raise IgnoreRequest(f"redirect loop: {' → '.join(chain + [target])}")
        return response
