"""Portals as configuration: one YAML file per portal (see portals/generic.yaml)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

GENERIC = Path(__file__).resolve().parent / "portals" / "generic.yaml"
SCHEMES = ("http", "https")        # a crawl reads web pages: no file:, data:, s3:, ftp:


def check_url(url: str) -> str:
    """A start URL the crawler may fetch: http(s) with a host, else ValueError."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in SCHEMES or not parsed.hostname:
        raise ValueError(f"{url[:200]!r} is not an http(s) address; a crawl starts from a web page")
    return url


@dataclass
class Portal:
    name: str
    start_urls: list[str]
    allowed_domains: list[str]
    depth: int
    follow_text: re.Pattern
    follow_url: re.Pattern
    attachments: tuple[str, ...]
    disclosure_page: re.Pattern
    next_text: re.Pattern = None
    next_url: re.Pattern = None
    extra: dict = field(default_factory=dict)

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on the portal (its domains and their subdomains)."""
        host = (urlparse(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def load(path: str | Path | None = None, seed: str | None = None, region: bool = False) -> Portal:
    with open(GENERIC, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["_region"] = region
    if path:
        with open(path, encoding="utf-8") as f:
            data.update(yaml.safe_load(f) or {})
    if seed:
        data["start_urls"] = [check_url(seed)]
        data["name"] = data.get("name") if path else urlparse(seed).hostname
    if not data.get("start_urls"):
        data["start_urls"] = ["http://placeholder.invalid/"] if data.get("_region") else []
    if not data.get("start_urls"):
        raise ValueError("a portal needs start_urls (or --seed URL, or --region NAME)")
    if not data.get("_region"):
        for url in data["start_urls"]:
            check_url(url)
    domains = data.get("allowed_domains") or sorted({urlparse(u).hostname for u in data["start_urls"]})
    return Portal(
        name=data.get("name") or data["start_urls"][0][:200], start_urls=data["start_urls"], allowed_domains=domains, depth=int(data["depth"]),
        follow_text=re.compile(data["follow"]["text"]), follow_url=re.compile(data["follow"]["url"], re.I),
        attachments=tuple(a.lower() for a in data["attachments"]),
        disclosure_page=re.compile(data["disclosure_page"]),
        next_text=re.compile(data["pagination"]["text"]), next_url=re.compile(data["pagination"]["url"], re.I),
        extra=data)


DIRECTORY = Path(__file__).resolve().parents[2] / "shared" / "portals" / "budget-disclosure-portals.csv"


def region_seeds(name: str, directory: Path | None = None) -> list[tuple[str, str]]:
    """(name, URL) of the 预决算公开 pages of a province, city or county, from the portal directory
    (shared/portals, or FISCAL_PORTAL_DIRECTORY). A province or city brings all the places in it."""
    import csv
    import os
    path = Path(os.environ.get("FISCAL_PORTAL_DIRECTORY") or directory or DIRECTORY)
    if not path.exists():
        raise ValueError(f"the portal directory {path} is not there")
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = [(r["name"], r["url"]) for r in rows if name in (r["province"], r["city"], r["county"], r["name"])
             and r["url"] and urlparse(r["url"]).scheme in SCHEMES]
    if not found:
        raise ValueError(f"no portal for {name} in {path.name}")
    return found
