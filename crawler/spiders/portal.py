"""The portal spider: listings → detail pages → attachments, as the portal's YAML says.

State lives in the store: a URL done in this run is not fetched again when a crawl resumes (its
links are followed from the store), and a URL known from an earlier run is asked for
conditionally (a 304 page is followed through its stored links, a 304 document is unchanged).
"""
from __future__ import annotations

from urllib.parse import urljoin, urlparse

import scrapy
from scrapy.http import HtmlResponse, TextResponse
from sqlalchemy import select

from service.store import get_store
from service.store.models import Source

from ..config import Portal
from ..items import SourceItem


class PortalSpider(scrapy.Spider):
    name = "portal"
    custom_settings = {"HTTPERROR_ALLOWED_CODES": [304]}

    def __init__(self, portal: Portal, db_url: str, run_id: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal = portal
        self.allowed_domains = portal.allowed_domains
        self.store = get_store(db_url)
        self.run_id = run_id
        self._known: dict[str, Source] = {}
        self._offsite: set[str] = set()
        self._load_known()

    def _load_known(self) -> None:
        with self.store.session() as s:
            for row in s.scalars(select(Source).where(Source.portal == self.portal.name)):
                self._known[row.url] = row

    def known(self, url: str) -> Source | None:
        return self._known.get(url)

    # ------------------------------------------------------------------ requests
    async def start(self):
        for url in self.portal.start_urls:
            for r in self.follow_url(url, "page", 0, None):
                yield r

    def follow_url(self, url: str, kind: str, depth: int, referer: str | None):
        """A request, or for a URL this run has done already, what its stored links lead to."""
        known = self._known.get(url)
        if known is not None and known.run_id == self.run_id and known.status in ("done", "unchanged"):
            if kind == "page":
                yield from self._from_links(known.links or [], depth)
            return
        yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=False,
                             meta={"kind": kind, "fx_depth": depth, "referer": referer})   # Scrapy keeps its own "depth"

    def _from_links(self, links, depth):
        """Documents at any depth; the next listing page at the same depth; other pages one deeper;
        an off-site link is recorded, not fetched."""
        for url, kind in links:
            if kind == "offsite":
                if url not in self._offsite:
                    self._offsite.add(url)
                    yield SourceItem(url=url, kind="page", status="skipped", error="off-site link, not followed")
            elif kind == "listing":
                yield from self.follow_url(url, "page", depth, None)
            elif kind == "document" or depth < self.portal.depth:
                yield from self.follow_url(url, kind, depth + 1, None)

    # ------------------------------------------------------------------ responses
    def parse(self, response):
        kind, depth = response.meta["kind"], response.meta["fx_depth"]
        validators = {"etag": _header(response, "ETag"), "last_modified": _header(response, "Last-Modified")}
        if response.status == 304:
            known = self._known.get(response.url)
            self.crawler.stats.inc_value("fiscal/unchanged")
            yield SourceItem(url=response.url, kind=kind, status="unchanged", http_status=304,
                             links=known.links if known else None, **validators)
            if kind == "page" and known is not None:
                yield from self._from_links(known.links or [], depth)
            return
        if kind == "document" or not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("fiscal/documents")
            yield SourceItem(url=response.url, kind="document", status="done", http_status=response.status,
                             body=response.body, media_type=_header(response, "Content-Type"),
                             filename=urlparse(response.url).path.rsplit("/", 1)[-1], **validators)
            return
        self.crawler.stats.inc_value("fiscal/pages")
        links = list(self._links(response))
        disclosure = self._is_disclosure(response)
        if disclosure:
            self.crawler.stats.inc_value("fiscal/documents")
        yield SourceItem(url=response.url, kind="page", status="done", http_status=response.status,
                         body=response.body if disclosure else None, media_type=_header(response, "Content-Type"),
                         links=[[u, k] for u, k in links], filename=None, **validators)
        yield from self._from_links([[u, k] for u, k in links], depth)

    def _links(self, response: TextResponse):
        seen = set()
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            url = urljoin(response.url, href).split("#", 1)[0]
            if url in seen or not url.startswith(("http://", "https://")):
                continue
            seen.add(url)
            text = " ".join(a.css("::text").getall()).strip()
            path = urlparse(url).path.lower()
            if not self.portal.owns(url):
                yield url, "offsite"
            elif path.endswith(self.portal.attachments):
                yield url, "document"
            elif self.portal.next_text.fullmatch(text) or self.portal.next_url.search(urlparse(url).path):
                yield url, "listing"
            elif self.portal.follow_text.search(text) or self.portal.follow_url.search(url):
                yield url, "page"

    def _is_disclosure(self, response: TextResponse) -> bool:
        if not isinstance(response, HtmlResponse):
            return False
        body = " ".join(response.css("body ::text").getall())
        return bool(self.portal.disclosure_page.search(body)) and ("万元" in body or "元" in body)

    def failed(self, failure):
        request = failure.request
        self.crawler.stats.inc_value("fiscal/errors")
        response = getattr(failure.value, "response", None)
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:1000]
        asked = (request.meta.get("redirect_urls") or [request.url])[0]     # the URL the crawl asked for
        return SourceItem(url=asked, kind=request.meta.get("kind", "page"), status="failed",
                          http_status=response.status if response is not None else None, error=error)


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
