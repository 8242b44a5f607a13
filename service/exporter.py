"""Across the store: one row per fact or line item (export), and re-extraction (reprocess)."""
from __future__ import annotations

import json
from collections import defaultdict

from pathlib import Path

from sqlalchemy import select

from extractors import ExtractionError, __version__, extract

from .exports import csv_bytes, xlsx_bytes
from .store import get_store
from .store.models import Document, Extraction, Source

COLUMNS = ["sha256", "source_url", "department", "province", "city", "county", "region_code", "fiscal_year",
           "doc_type", "record", "concept", "label", "function_code", "class", "kind", "item", "level", "value",
           "unit", "phase", "share", "budget_completion_rate", "evidence_text", "statement", "scope"]


def rows(db_url: str):
    store = get_store(db_url)
    with store.session() as s:
        urls = defaultdict(list)
        for url, sha in s.execute(select(Source.url, Source.sha256).where(Source.sha256.is_not(None))):
            urls[sha].append(url)
        latest = {}
        for ex in s.scalars(select(Extraction).where(Extraction.result.is_not(None)).order_by(Extraction.created_at)):
            latest[ex.document_sha256] = ex.result
    for sha, result in sorted(latest.items()):
        d = result["document"]
        region = d.get("region") or {}
        base = {"sha256": sha, "source_url": (sorted(urls.get(sha, [])) or [d["source"].get("url")])[0],
                "department": d.get("department"), "province": region.get("province"), "city": region.get("city"),
                "county": region.get("county"), "region_code": region.get("code"), "fiscal_year": d.get("fiscal_year"),
                "doc_type": d.get("doc_type")}
        for f in result["facts"]:
            yield {**base, "record": "fact", "concept": f["concept"], "label": f["label"], "value": f["value"],
                   "unit": f["unit"], "phase": f["phase"], "share": f["share"],
                   "budget_completion_rate": f["budget_completion_rate"], "evidence_text": f["evidence"]["text"],
                   "fiscal_year": f["fiscal_year"], **_placed(f)}
        for li in result["line_items"]:
            yield {**base, "record": "line_item", "function_code": li["function_code"], "class": li["class"],
                   "kind": li["kind"], "item": li["item"], "level": li["level"], "value": li["amount"], "unit": "CNY",
                   "phase": li["phase"], "share": li["share"], "budget_completion_rate": li["budget_completion_rate"],
                   "evidence_text": li["evidence"]["text"], "fiscal_year": li["fiscal_year"], **_placed(li)}


def _placed(row: dict) -> dict:
    """The statement (its printed name, else its id) and scope of a v1.1 result's row."""
    statement = row.get("statement") or {}
    return {"statement": statement.get("name") or statement.get("id"), "scope": row.get("scope")}


def export_rows(db_url: str, fmt: str, path: str) -> int:
    data = [{c: r.get(c) for c in COLUMNS} for r in rows(db_url)]
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for r in data:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return len(data)
    table = [[r[c] for c in COLUMNS] for r in data]      # values stay decimal strings: exact
    if fmt == "csv":
        Path(path).write_bytes(csv_bytes(COLUMNS, table))
    elif fmt == "xlsx":
        Path(path).write_bytes(xlsx_bytes("rows", COLUMNS, table))
    else:
        import pandas as pd
        pd.DataFrame(data, columns=COLUMNS).to_parquet(path, index=False)
    return len(data)


def reprocess(db_url: str) -> tuple[int, int]:
    store = get_store(db_url)
    done = failed = 0
    with store.session() as s:
        shas = s.scalars(select(Document.sha256)).all()
    for sha in shas:
        if store.has_extraction(sha, __version__):
            continue
        with store.session() as s:
            doc = s.get(Document, sha)
            data, name = doc.content, doc.filename
        try:
            result, error = extract(data, name).to_dict(include_text=False), None
            done += 1
        except ExtractionError as e:
            result, error = None, e.to_problem()
            failed += 1
        with store.session.begin() as s:
            store.put_extraction(s, sha, __version__, result, error)
    return done, failed
