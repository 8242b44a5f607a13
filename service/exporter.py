"""Across the store: one row per fact or line item (export), and re-extraction (reprocess)."""
from __future__ import annotations

import json
from collections import defaultdict

from pathlib import Path

from sqlalchemy import select

from extractors import __version__

from .exports import csv_bytes, exact_number, xlsx_bytes
from .store import get_store
from .store.models import Extraction, Source

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


NUMERIC = ("value", "share", "budget_completion_rate")


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
        numeric = [COLUMNS.index(c) for c in NUMERIC]
        sheet = [[exact_number(v) if i in numeric else v for i, v in enumerate(r)] for r in table]
        Path(path).write_bytes(xlsx_bytes("rows", COLUMNS, sheet))
    else:
        import pandas as pd
        frame = pd.DataFrame(data, columns=COLUMNS)
        frame["fiscal_year"] = frame["fiscal_year"].astype("Int64")    # an integer with gaps, not 2022.0
        frame.to_parquet(path, index=False)
    return len(data)


def reprocess(db_url: str, settings=None, retry_failed: bool = False, wait: bool = True,
              progress=None) -> tuple[int, int]:
    """Every stored document extracted with this version (no fetching): its task asked for, then
    run here one after another, or, with a broker, handed to the workers and (``wait``) followed
    in the store until they are all finished. (documents done, documents failed) of this run."""
    from . import tasks
    from .settings import get_settings
    settings = settings or get_settings()
    store = get_store(db_url)
    if retry_failed:
        tasks.retry_failed(store, __version__)
    shas = list(dict.fromkeys(tasks.ask_missing(store, __version__) + tasks.unfinished(store, __version__, 0.0)))
    if settings.broker_url:
        from . import broker
        broker.send(shas, __version__, settings)
        return _followed(store, shas, progress) if wait else (0, 0)
    from .worker import GuardedExtraction
    extraction = GuardedExtraction(1, settings.extract_timeout_s, settings.extract_memory_mb)
    worker, lease = tasks.worker_id(), tasks.lease_s(settings.extract_timeout_s)
    done = failed = 0
    try:
        for sha in shas:
            ran = tasks.run(store, sha, __version__, lambda data, name, url, progress: extraction(data, name, url, include_text=False,
                                                                                    progress=progress),
                            worker, lease)
            if isinstance(ran, tasks.Ran):
                done, failed = (done + 1, failed) if ran.error is None else (done, failed + 1)
    finally:
        extraction.close()
    return done, failed


def _followed(store, shas: list[str], progress, poll_s: float = 0.5) -> tuple[int, int]:
    """Wait until the workers have finished every task of this version, as the store shows them;
    then how many of these documents were done and failed."""
    import time
    from . import tasks
    while True:
        left = tasks.counts(store, __version__)["tasks"]
        unfinished = left["queued"] + left["running"]
        if progress is not None:
            progress(unfinished)
        if unfinished == 0:
            break
        time.sleep(poll_s)
    return tasks.finished_counts(store, __version__, shas)
