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
    next_text: re.Pattern = None
    next_url: re.Pattern = None
    render: str = "auto"            # never | auto (a page that is a script shell) | browser (every page)
    render_per_host: int = 50       # rendered pages per host and crawl, at most
    json_listings: list = field(default_factory=list)   # listing endpoints a platform's pages call
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
        next_text=re.compile(data["pagination"]["text"]), next_url=re.compile(data["pagination"]["url"], re.I),
        render=_choice(data.get("render", "auto"), ("never", "auto", "browser"), "render"),
        render_per_host=int(data.get("render_per_host", 50)),
        json_listings=[_listing(spec) for spec in data.get("json_listings") or ()],
        extra=data)


def _choice(value: str, allowed: tuple, key: str) -> str:
    if value not in allowed:
        raise ValueError(f"{key}: {value!r} is none of {', '.join(allowed)}")
    return value


def _listing(spec: dict) -> dict:
    """A JSON listing endpoint: ``url`` (with ``{page}``), ``pages``, ``items`` (the dotted path
    to the list in the answer), ``link`` and ``title`` (fields of an item)."""
    missing = [k for k in ("url", "items", "link") if not spec.get(k)]
    if missing:
        raise ValueError(f"a json_listings entry needs {', '.join(missing)}")
    return {"url": spec["url"], "pages": int(spec.get("pages", 1)), "items": spec["items"],
            "link": spec["link"], "title": spec.get("title")}


DIRECTORY = Path(__file__).resolve().parent / "portals" / "directory.csv"    # packaged: portals/DIRECTORY.md


def directory(path: Path | None = None) -> tuple[Path, list[dict]]:
    """The portal directory's rows (FISCAL_PORTAL_DIRECTORY, else the packaged one)."""
    import csv
    import os
    path = Path(os.environ.get("FISCAL_PORTAL_DIRECTORY") or path or DIRECTORY)
    if not path.exists():
        raise ValueError(f"the portal directory {path} is not there")
    with open(path, encoding="utf-8", newline="") as f:
        return path, list(csv.DictReader(f))


def places(name: str | None = None, path: Path | None = None) -> list[dict]:
    """The places of a province, city or county (all of them without a name): a province or city
    brings every place in it."""
    source, rows = directory(path)
    if not name:
        return rows
    found = [r for r in rows if name in (r["province"], r["city"], r["county"], r["name"])]
    if not found:
        raise ValueError(f"no place named {name} in the portal directory ({source.name})")
    return found


def region_seeds(name: str, directory: Path | None = None) -> list[tuple[str, str]]:
    """(name, URL) of the 预决算公开 pages of a province, city or county, from the portal directory."""
    found = [(r["name"], r["url"]) for r in places(name, directory)
             if r["url"] and urlparse(r["url"]).scheme in SCHEMES]
    if not found:
        raise ValueError(f"no portal URL for {name} in the portal directory")
    return found
