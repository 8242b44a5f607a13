"""Crawls (admin): start one, follow it; and the stored documents, filtered and paginated."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from extractors import Errors, ExtractionError

from ..auth import AdminCaller, ExtractCaller
from ..schemas import PROBLEM_RESPONSES
from ..store.models import CrawlRun, Extraction, Source

router = APIRouter(prefix="/v1", tags=["crawls"])
ROOT = Path(__file__).resolve().parents[2]


class CrawlRequest(BaseModel):
    seed: str | None = Field(default=None, description="a start URL (generic portal configuration)")
    portal: str | None = Field(default=None, description="a portal YAML name under crawler/portals")
    region: str | None = Field(default=None, description="a province, city or county from the portal directory")
    allow_private_addresses: bool = False
    polite: bool = Field(default=True, description="false only for a portal of your own (tests, benchmarks)")


class CrawlStatus(BaseModel):
    id: str
    portal: str | None
    status: str
    counts: dict | None
    started_at: str | None
    finished_at: str | None


@router.post("/crawls", status_code=202, response_model=CrawlStatus, responses=PROBLEM_RESPONSES,
             summary="Start a crawl (admin scope); it runs in its own process")
def start_crawl(request: Request, caller: AdminCaller, body: CrawlRequest) -> JSONResponse:
    if not (body.seed or body.portal or body.region):
        raise ExtractionError(Errors.E005, "give seed, portal or region")
    run_id = str(uuid.uuid4())
    cmd = [sys.executable, "-m", "service.cli", "crawl", "--db", request.app.state.settings.database_url,
           "--run-id", run_id]
    if body.portal:
        path = (ROOT / "crawler" / "portals" / f"{body.portal}.yaml").resolve()
        if path.parent != (ROOT / "crawler" / "portals").resolve() or not path.exists():
            raise ExtractionError(Errors.E007, f"no portal configuration {body.portal}")
        cmd.insert(4, str(path))
    if body.seed:
        cmd += ["--seed", body.seed]
    if body.region:
        cmd += ["--region", body.region]
    if body.allow_private_addresses:
        cmd.append("--allow-private-addresses")
    if not body.polite:
        cmd += ["--no-politeness", "--timeout", "2"]
    subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return JSONResponse({"id": run_id, "portal": body.portal or body.seed or body.region, "status": "starting",
                         "counts": None, "started_at": None, "finished_at": None}, status_code=202,
                        headers={"location": f"/v1/crawls/{run_id}"})


@router.get("/crawls/{crawl_id}", response_model=CrawlStatus, responses=PROBLEM_RESPONSES,
            summary="A crawl's status and counts")
def get_crawl(request: Request, caller: ExtractCaller, crawl_id: str) -> JSONResponse:
    store = request.app.state.store
    with store.session() as s:
        run = s.get(CrawlRun, crawl_id)
        if run is None:
            raise ExtractionError(Errors.E007, f"no crawl {crawl_id} (yet)")
        counts = dict(run.counts or {})
        if run.status == "running":
            counts["fetched_so_far"] = len(s.scalars(select(Source.url).where(Source.run_id == crawl_id)).all())
        return JSONResponse({"id": run.id, "portal": run.portal, "status": run.status, "counts": counts,
                             "started_at": run.started_at.isoformat() if run.started_at else None,
                             "finished_at": run.finished_at.isoformat() if run.finished_at else None})


class DocumentRow(BaseModel):
    sha256: str
    department: str | None
    region: dict | None
    fiscal_year: int | None
    doc_type: str | None
    source_url: str | None


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[DocumentRow]


@router.get("/documents", response_model=DocumentPage, responses=PROBLEM_RESPONSES,
            summary="Stored results, filtered by region, year and type, paginated")
def list_documents(request: Request, caller: ExtractCaller,
                   region: Annotated[str | None, Query(description="province, city or county name, or the code")] = None,
                   year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
                   doc_type: Annotated[str | None, Query(pattern="^(final_accounts|budget|performance_evaluation|unknown)$")] = None,
                   offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONResponse:
    store = request.app.state.store
    with store.session() as s:
        urls = {sha: url for url, sha in s.execute(select(Source.url, Source.sha256).where(Source.sha256.is_not(None)))}
        latest = {}
        for ex in s.scalars(select(Extraction).where(Extraction.result.is_not(None)).order_by(Extraction.created_at)):
            latest[ex.document_sha256] = ex.result["document"]
    rows = []
    for sha, d in sorted(latest.items()):
        r = d.get("region") or {}
        if region and region not in (r.get("province"), r.get("city"), r.get("county"), r.get("code")):
            continue
        if year and d.get("fiscal_year") != year:
            continue
        if doc_type and d.get("doc_type") != doc_type:
            continue
        rows.append({"sha256": sha, "department": d.get("department"), "region": r, "fiscal_year": d.get("fiscal_year"),
                     "doc_type": d.get("doc_type"), "source_url": urls.get(sha) or d.get("source", {}).get("url")})
    return JSONResponse({"total": len(rows), "offset": offset, "limit": limit, "items": rows[offset:offset + limit]})
