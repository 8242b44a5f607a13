"""The portal spider: listings → detail pages → attachments, as the portal's YAML says.

State lives in the store: a URL done in this run is not fetched again when a crawl resumes (its
links are followed from the store), and a URL known from an earlier run is asked for
conditionally (a 304 page is followed through its stored links, a 304 document is unchanged).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import unquote, urljoin, urlparse

import scrapy
from scrapy.http import HtmlResponse, TextResponse
from sqlalchemy import select

from extractors.pipeline import looks_like_disclosure
from service.store import get_store
from service.store.models import Source

from .. import outcomes, render
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
        self.failures: dict[str, list] = {}      # class -> [count, an example URL], for the summary
        self._rendered: Counter = Counter()       # pages rendered per host
        self._load_known()

    def _load_known(self) -> None:
        with self.store.session() as s:
            for row in s.scalars(select(Source).where(Source.portal == self.portal.name)):
                self._known[row.url] = row

    def known(self, url: str) -> Source | None:
        return self._known.get(url)

    # ------------------------------------------------------------------ requests
    async def start(self):
        render.allow(self.allowed_domains, self.settings.getbool("CRAWL_ALLOW_PRIVATE"))
        for url in self.portal.start_urls:
            for r in self.follow_url(url, "page", 0, None):
                yield r
        base = self.portal.start_urls[0]
        for spec in self.portal.json_listings:
            for page in range(1, spec["pages"] + 1):
                yield scrapy.Request(urljoin(base, spec["url"].format(page=page)), callback=self.parse_json,
                                     errback=self.failed, meta={"kind": "page", "fx_depth": 0, "spec": spec})

    def follow_url(self, url: str, kind: str, depth: int, referer: str | None):
        """A request, or for a URL this run has done already, what its stored links lead to."""
        known = self._known.get(url)
        if known is not None and known.run_id == self.run_id and known.status in ("done", "unchanged"):
            if kind == "page":
                yield from self._from_links(known.links or [], depth)
            return
        rendered = kind == "page" and self.portal.render == "browser" and self._may_render(url)
        yield self._request(url, kind, depth, referer, rendered)

    def _request(self, url: str, kind: str, depth: int, referer: str | None, rendered: bool = False,
                 again: bool = False) -> scrapy.Request:
        meta = {"kind": kind, "fx_depth": depth, "referer": referer}       # Scrapy keeps its own "depth"
        if rendered:
            meta.update(playwright=True, playwright_page_methods=render.page_methods(), fx_rendered=True)
        return scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=again, meta=meta)

    def _may_render(self, url: str) -> bool:
        """A browser is there and this host has pages left to render."""
        if not self.settings.getbool("CRAWL_RENDER_AVAILABLE"):
            if self.portal.render != "never":
                self.crawler.stats.inc_value("fiscal/render_unavailable")
            return False
        host = urlparse(url).hostname or ""
        if self._rendered[host] >= self.portal.render_per_host:
            return False
        self._rendered[host] += 1
        return True

    def parse_json(self, response):
        """A JSON listing endpoint: its items' links, as a listing page's."""
        spec = response.meta["spec"]
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError):
            yield SourceItem(url=response.url, kind="page", status="failed", http_status=response.status,
                             error="the JSON listing is not JSON", failure="other")
            return
        for key in spec["items"].split("."):
            data = data.get(key) if isinstance(data, dict) else None
        links = []
        for entry in data if isinstance(data, list) else ():
            href = entry.get(spec["link"]) if isinstance(entry, dict) else None
            if not isinstance(href, str) or not href.strip():
                continue
            title = str(entry.get(spec["title"]) or "") if spec["title"] else ""
            url = urljoin(response.url, href.strip())
            links.append([url, self._kind(url, _ANCHOR_NOISE.sub("", title), listing=True)])
        links = [link for link in links if link[1] is not None]
        self.crawler.stats.inc_value("fiscal/pages")
        yield SourceItem(url=response.url, kind="page", status="done", http_status=response.status,
                         media_type=_header(response, "Content-Type"), links=links, filename=None)
        yield from self._from_links(links, response.meta["fx_depth"])

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
        if kind == "document" or not isinstance(response, TextResponse) or _is_file(response.body):
            self.crawler.stats.inc_value("fiscal/documents")
            yield SourceItem(url=response.url, kind="document", status="done", http_status=response.status,
                             body=response.body, media_type=_header(response, "Content-Type"),
                             filename=_filename(response), **validators)
            return
        links = list(self._links(response))
        if (not links and not response.meta.get("fx_rendered") and self.portal.render == "auto"
                and _script_shell(response) and self._may_render(response.url)):
            # a listing built in the browser: the same page again, rendered
            yield self._request(response.url, kind, depth, response.meta.get("referer"), rendered=True, again=True)
            return
        self.crawler.stats.inc_value("fiscal/pages")
        candidate = self._may_be_disclosure(response)
        yield SourceItem(url=response.url, kind="page", status="done", http_status=response.status,
                         body=response.body if candidate else None, media_type=_header(response, "Content-Type"),
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
            kind = self._kind(url, _ANCHOR_NOISE.sub("", " ".join(a.css("::text").getall())))  # “三公”经费: 三公经费
            if kind is not None:
                yield url, kind

    def _kind(self, url: str, text: str, listing: bool = False) -> str | None:
        """What a link leads to: offsite, document, listing (the next page), page, or None (not
        followed). ``listing``: an item of a JSON listing, followed whatever its words."""
        path = urlparse(url).path.lower()
        if not self.portal.owns(url):
            return "offsite"
        if path.endswith(self.portal.attachments) or _ATTACHMENT_WORDS.search(text):
            return "document"
        if self.portal.next_text.fullmatch(text) or self.portal.next_url.search(urlparse(url).path):
            return "listing"
        if listing or self.portal.follow_text.search(text) or self.portal.follow_url.search(url):
            return "page"
        return None

    def _may_be_disclosure(self, response: TextResponse) -> bool:
        """The lexicon's first test (a concept term and an amount of money); the pipeline's
        extraction then judges (extractors.pipeline.is_disclosure)."""
        if not isinstance(response, HtmlResponse):
            return False
        return looks_like_disclosure(" ".join(response.css("body ::text").getall()))

    def failed(self, failure):
        request = failure.request
        self.crawler.stats.inc_value("fiscal/errors")
        response = getattr(failure.value, "response", None)
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:1000]
        asked = (request.meta.get("redirect_urls") or [request.url])[0]     # the URL the crawl asked for
        kind = outcomes.classify(failure)
        count = self.failures.setdefault(kind, [0, asked])
        count[0] += 1
        return SourceItem(url=asked, kind=request.meta.get("kind", "page"), status="failed",
                          http_status=response.status if response is not None else None, error=error, failure=kind)


# an anchor that names a file (附件：2023年部门决算.pdf) leads to one, whatever its URL (download.jsp?id=7)
_ATTACHMENT_WORDS = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|zip|rar)$", re.I)
_SCRIPTS = re.compile(rb"<script\b", re.I)


def _script_shell(response) -> bool:
    """A page that is scripts and no content of its own (its listing comes from them)."""
    if not isinstance(response, HtmlResponse) or not _SCRIPTS.search(response.body):
        return False
    text = "".join(response.css("body ::text").getall()) if response.css("body") else ""
    script = "".join(response.css("body script::text").getall())
    return len(text) - len(script) < 200


_ANCHOR_NOISE = re.compile(r"[\s\u3000\u00a0“”‘’\"'「」『』《》]")
_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")     # PDF, OOXML (zip), OLE (.doc/.xls)


def _is_file(body: bytes) -> bool:
    """A file whatever its Content-Type says (a PDF served as text/html, a .shtml that is a PDF)."""
    return body.lstrip()[:8].startswith(_MAGIC)


_DISPOSITION = re.compile(r"""filename\*=(?:UTF-8|utf-8)''([^;]+)|filename="?([^";]+)"?""")


def _filename(response) -> str:
    """The file's name: Content-Disposition's (download.jsp?id=7 → 2023年部门决算.pdf), else the URL's."""
    disposition = _header(response, "Content-Disposition") or ""
    m = _DISPOSITION.search(disposition)
    if m:
        name = unquote(m.group(1) or m.group(2) or "", errors="replace").strip()
        if m.group(2) and not m.group(1):           # a raw header: often UTF-8 or GBK bytes read as Latin-1
            raw = name.encode("latin-1", "replace")
            for encoding in ("utf-8", "gb18030"):
                try:
                    name = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
        if name:
            return name.rsplit("/", 1)[-1][:300]
    return urlparse(response.url).path.rsplit("/", 1)[-1]


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
