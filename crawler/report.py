"""What a crawl found and what failed, from the store: `fiscal-extract crawl report`."""
from __future__ import annotations

import sys
from collections import Counter, defaultdict

import orjson
from sqlalchemy import func, select

from service.store import get_store
from service.store.models import CrawlRun, Extraction, Source

from .outcomes import CLASSES


def fetched(db_url: str, run_id: str) -> int:
    """URLs this run fetched (answered, unchanged included)."""
    with get_store(db_url).session() as s:
        return s.scalar(select(func.count()).select_from(Source).where(
            Source.run_id == run_id, Source.status.in_(("done", "unchanged")))) or 0


def build(db_url: str, run_id: str | None = None, portal: str | None = None) -> dict:
    """The latest run (or ``run_id``, or the latest of ``portal``): its pages and documents, the
    disclosures by year and type, and its failures by class with examples."""
    store = get_store(db_url)
    with store.session() as s:
        query = select(CrawlRun).order_by(CrawlRun.started_at.desc())
        if run_id:
            query = query.where(CrawlRun.id == run_id)
        elif portal:
            query = query.where(CrawlRun.portal == portal)
        run = s.scalars(query.limit(1)).first()
        if run is None:
            raise ValueError(f"no crawl {run_id or portal or ''} in the store".replace("  ", " "))
        sources = s.execute(select(Source.url, Source.kind, Source.status, Source.sha256, Source.failure,
                                   Source.error).where(Source.run_id == run.id)).all()
        shas = {r.sha256 for r in sources if r.sha256}
        found = s.execute(select(Extraction.document_sha256, Extraction.fiscal_year, Extraction.doc_type)
                          .where(Extraction.document_sha256.in_(shas), Extraction.result.is_not(None))).all() if shas else []
    by_document = {r.document_sha256: (r.fiscal_year, r.doc_type) for r in found}   # one per document
    disclosures = Counter(by_document.values())
    failures: dict[str, list] = defaultdict(list)
    for r in sources:
        if r.status == "failed":
            failures[r.failure or "other"].append({"url": r.url, "error": (r.error or "")[:200]})
    status = Counter(r.status for r in sources)
    return {
        "run": run.id, "portal": run.portal, "status": run.status,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "pages": sum(r.kind == "page" and r.status in ("done", "unchanged") for r in sources),
        "documents": len(shas), "unchanged": status.get("unchanged", 0), "skipped": status.get("skipped", 0),
        "disclosures": [{"fiscal_year": y, "doc_type": t, "documents": n}
                        for (y, t), n in sorted(disclosures.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or ""))],
        "failures": {k: {"what": CLASSES.get(k, k), "count": len(v), "examples": v[:5]}
                     for k, v in sorted(failures.items(), key=lambda kv: -len(kv[1]))},
    }


def report(db_url: str, run_id: str | None = None, portal: str | None = None, json_out: bool = False) -> int:
    try:
        r = build(db_url, run_id, portal)
    except ValueError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    if json_out:
        sys.stdout.write(orjson.dumps(r, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    lines = [f"crawl {r['portal']} ({r['run']}), {r['status']}: {r['pages']} pages, {r['documents']} documents, "
             f"{r['unchanged']} unchanged, {r['skipped']} links not followed"]
    if r["disclosures"]:
        lines.append("disclosures found:")
        lines += [f"  {d['fiscal_year'] or 'year unknown'} {d['doc_type'] or 'unknown'}: {d['documents']}"
                  for d in r["disclosures"]]
    else:
        lines.append("no disclosure found")
    for kind, f in r["failures"].items():
        lines.append(f"failed, {f['what']}: {f['count']}")
        lines += [f"  {e['url']}  {e['error']}" for e in f["examples"]]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
