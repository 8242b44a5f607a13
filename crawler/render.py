"""Listings that a portal builds in the browser (the links come from a script or a JSON call),
rendered in headless Chromium through scrapy-playwright, with Debian's chromium and no download.

A rendered page is an ordinary Scrapy request with ``meta["playwright"]``: it passes the same
downloader slots (politeness, AutoThrottle), robots.txt and the address guard as any other. What
the page itself loads is held to the same rules: only its document, scripts and XHR/fetch calls,
only on the portal's hosts, never a private address unless the crawl allows them.
"""
from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
from urllib.parse import urlparse

from .middlewares import forbidden

_LOADED = {"document", "script", "xhr", "fetch"}
_rules = {"domains": (), "allow_private": False}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def settings(allow_private: bool) -> dict:
    """The Scrapy settings that add the browser (requests without ``meta["playwright"]`` still go
    through Scrapy's own HTTP handler)."""
    path = chromium()
    if path is None:
        return {}
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": path, "headless": True,
                                      "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]},
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 2,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
        "CRAWL_RENDER_AVAILABLE": True,
    }


def allow(domains, allow_private: bool) -> None:
    """The hosts a rendered page may load from (set when the spider opens)."""
    _rules.update(domains=tuple(d.lower() for d in domains), allow_private=allow_private)


async def abort_request(request) -> bool:
    """Whether the browser must not load this (a subresource of a rendered page)."""
    if request.resource_type not in _LOADED:
        return True
    parsed = urlparse(request.url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not host:
        return True
    if not any(host == d or host.endswith("." + d) for d in _rules["domains"]):
        return True
    if _rules["allow_private"]:
        return False
    return await _private(host)


async def _private(host: str) -> bool:
    try:
        return forbidden(str(ipaddress.ip_address(host.strip("[]"))))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return True
    return any(forbidden(info[4][0]) for info in infos)


def page_methods() -> list:
    """After the page loads: wait for its calls to settle, so the listing they build is there."""
    from scrapy_playwright.page import PageMethod
    return [PageMethod("wait_for_load_state", "networkidle")]
