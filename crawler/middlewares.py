"""Downloader middlewares and the resolver: refuse other schemes and private destinations (SSRF),
and make requests conditional."""
from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlparse

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from .config import SCHEMES


def forbidden(ip: str) -> bool:
    """Any address that is not a global unicast one: loopback, private (RFC 1918, ULA), shared
    (100.64.0.0/10, where cloud metadata services live), link-local, reserved, multicast; and an IPv6
    address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by the IPv4 it carries."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        inner = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None) or _nat64(addr)
        if inner is not None:
            return forbidden(str(inner))
    return not addr.is_global or addr.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _nat64(addr: ipaddress.IPv6Address):
    return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF) if addr in _NAT64 else None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class GuardedResolver(CachingHostnameResolver):
    """The resolver the downloader connects with: names that resolve only to forbidden addresses
    resolve to nothing, and forbidden addresses are dropped from the others, so that the address
    checked is the address connected to (a name that rebinds to 127.0.0.1 between a check and the
    connection cannot get through), robots.txt included."""

    refused: dict[str, str] = {}        # host -> the first forbidden address it gave (for the error)

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow = crawler.settings.getbool("CRAWL_ALLOW_PRIVATE")
        return resolver

    def resolveHostName(self, resolutionReceiver, hostName, portNumber=0, addressTypes=None,  # noqa: N803
                        transportSemantics="TCP"):                                              # Twisted's names
        if not getattr(self, "allow", False):
            resolutionReceiver = _Filtered(resolutionReceiver, hostName, self.refused)
        return super().resolveHostName(resolutionReceiver, hostName, portNumber, addressTypes, transportSemantics)


@implementer(IResolutionReceiver)
class _Filtered:
    def __init__(self, receiver, host: str, refused: dict) -> None:
        self.receiver, self.host, self.refused = receiver, host, refused

    def resolutionBegan(self, resolution):
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address):
        if forbidden(address.host):
            self.refused.setdefault(self.host.lower(), address.host)
        else:
            self.receiver.addressResolved(address)

    def resolutionComplete(self):
        self.receiver.resolutionComplete()


class SSRFGuard:
    """A crawler that follows links from the web must not be steered at the machine it runs on or
    its network. Only http(s) is fetched; an address literal in a URL is checked here; a name is
    checked where it is resolved, by ``GuardedResolver`` (the resolver the downloader connects
    with); the address actually connected to is checked again on the response, and every redirect
    is a new request checked the same way. ``crawl_allow_private`` (``--allow-private-addresses``)
    lifts the address checks (tests, intranets), never the scheme check."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("CRAWL_ALLOW_PRIVATE"))

    def process_request(self, request, spider=None):
        parsed = urlparse(request.url)
        if parsed.scheme not in SCHEMES:
            raise IgnoreRequest(f"refused: {parsed.scheme}: is not fetched (only http and https)")
        host = parsed.hostname or ""
        if not self.allow and host.lower() in GuardedResolver.refused:      # no retry of a refused name
            raise _refused(host)
        literal = _literal(host)
        if not self.allow and literal is not None and forbidden(literal):
            raise IgnoreRequest(f"refused: {host} is a private or reserved address (SSRF guard)")
        return None

    def process_response(self, request, response, spider=None):
        if not self.allow and response.ip_address is not None and forbidden(str(response.ip_address)):
            raise IgnoreRequest(f"refused: connected to {response.ip_address}, a private address (SSRF guard)")
        return response

    def process_exception(self, request, exception, spider=None):
        host = (urlparse(request.url).hostname or "").lower()
        if host in GuardedResolver.refused and any(w in type(exception).__name__ for w in ("DNSLookup", "Resolve")):
            raise _refused(host)
        return None


def _refused(host: str) -> IgnoreRequest:
    ip = GuardedResolver.refused[host.lower()]
    return IgnoreRequest(f"refused: {host} resolves to {ip}, a private or reserved address (SSRF guard)")


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
    """A redirect back to a URL already in the chain is a loop, and one to another site leaves the
    portal: fail either with that reason, so that the URL asked for is recorded (the dupefilter and
    the off-site filter would otherwise drop it without a word)."""

    def __init__(self, crawler=None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        spider = spider or getattr(self.crawler, "spider", None)
        if response.status in (301, 302, 303, 307, 308) and b"Location" in response.headers:
            target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
            chain = request.meta.get("redirect_urls", []) + [request.url]
            if target in chain:
                raise IgnoreRequest(f"redirect loop: {' → '.join(chain + [target])}")
            portal = getattr(spider, "portal", None)
            if portal is not None and not portal.owns(target):
                raise IgnoreRequest(f"redirected off-site to {target[:300]}, not followed")
        return response
