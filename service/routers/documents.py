"""The library of stored documents: listed and searched, each result reopened without extracting
it again (with its reviews), its findings reviewed, its PDF pages rendered for the source view, set
beside another year or type of the same department, and exported (CSV/XLSX tables, an audit report
as PDF and XLSX)."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from extractors import Errors, ExtractionError, __version__

from .. import compare as comparing, exports, pages, report
from ..auth import Caller, ExtractCaller
from ..responses import CSVResponse
from ..schemas import PROBLEM_RESPONSES
from ..store.models import Document, DocumentAccess, Extraction, FindingReview, Source

router = APIRouter(prefix="/v1/documents", tags=["documents"])
Sha = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="the document's SHA-256")]
FindingId = Annotated[str, Path(pattern="^[0-9a-f]{16}(?:-[0-9]{1,4})?$", description="the finding's id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DocumentRow(BaseModel):
    sha256: str
    department: str | None
    region: dict | None
    fiscal_year: int | None
    doc_type: str | None
    source_url: str | None
    filename: str | None = None
    pages: int | None = None
    findings: dict | None = Field(default=None, description="findings by severity: {error, warning, info}")
    reviewed: int = Field(default=0, description="findings a person has reviewed")
    stored_at: str | None = None


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[DocumentRow]


class ReviewRequest(BaseModel):
    state: Literal["confirmed", "false_alarm", "ignored"] | None = Field(
        description="confirmed, false_alarm or ignored; null clears the review")
    note: str = Field(default="", max_length=4000, pattern=r"^[^\x00]*$")
    by: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f]*$",
                           description="who reviewed (else the API key's id)")


def _latest():
    """The id of each document's latest stored result."""
    return (select(func.max(Extraction.id)).where(Extraction.result.is_not(None))
            .group_by(Extraction.document_sha256))


def _readable(caller: Caller):
    """The documents ``caller`` may read, as a WHERE clause (None: all)."""
    if caller.is_admin:
        return None
    return Extraction.document_sha256.in_(select(DocumentAccess.document_sha256)
                                          .where(DocumentAccess.api_key_id == caller.key_id))


def _result(request: Request, caller: Caller, sha: str, reviewed: bool = True) -> dict:
    """The stored result, if the caller may read it (a document another key brought is not found),
    with each finding's review."""
    store = request.app.state.store
    with store.session() as s:
        row = store.latest_extraction(s, sha) if store.may_read(s, sha, caller.key_id, caller.is_admin) else None
        if row is None:
            raise ExtractionError(Errors.E007, f"no stored result for document {sha}")
        result = row.result
        reviews = store.reviews(s, sha) if reviewed else {}
    for f in result.get("findings", []):
        if f.get("id") in reviews:
            f["review"] = reviews[f["id"]]
    return result


@router.get("", response_model=DocumentPage, responses=PROBLEM_RESPONSES,
            summary="The library: stored documents the caller may read (an admin key: all), searched by department "
                    "or file name, region, year and type, paginated")
def list_documents(request: Request, caller: ExtractCaller,
                   q: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$",
                                                  description="words of the department or the file name")] = None,
                   region: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$",
                                                       description="province, city or county name, or the code")] = None,
                   year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
                   doc_type: Annotated[str | None, Query(pattern="^(final_accounts|budget|performance_evaluation|unknown)$")] = None,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONResponse:
    """Read from the results' summary columns, one page at a time: never the whole results."""
    store = request.app.state.store
    query = select(Extraction).where(Extraction.id.in_(_latest()))
    if q and q.strip():
        for word in q.split()[:5]:
            like = f"%{word.replace('%', '').replace('_', '')}%"
            query = query.where(or_(Extraction.department.like(like), Extraction.filename.like(like)))
    if region:
        query = query.where(or_(Extraction.province == region, Extraction.city == region,
                                Extraction.county == region, Extraction.region_code == region))
    if year:
        query = query.where(Extraction.fiscal_year == year)
    if doc_type:
        query = query.where(Extraction.doc_type == doc_type)
    if (readable := _readable(caller)) is not None:
        query = query.where(readable)
    columns = (Extraction.document_sha256, Extraction.department, Extraction.province, Extraction.city,
               Extraction.county, Extraction.region_code, Extraction.fiscal_year, Extraction.doc_type,
               Extraction.source_url, Extraction.filename, Extraction.pages, Extraction.severity_counts,
               Extraction.created_at)
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        page = s.execute(query.with_only_columns(*columns).order_by(Extraction.created_at.desc(),
                                                                    Extraction.document_sha256)
                         .offset(offset).limit(limit)).all()
        shas = [row[0] for row in page]
        urls = dict(s.execute(select(Source.sha256, func.min(Source.url)).where(Source.sha256.in_(shas))
                              .group_by(Source.sha256)).all()) if shas else {}
        names = dict(s.execute(select(Document.sha256, Document.filename).where(Document.sha256.in_(shas))).all()) \
            if shas else {}
        reviewed = dict(s.execute(select(FindingReview.document_sha256, func.count())
                                  .where(FindingReview.document_sha256.in_(shas))
                                  .group_by(FindingReview.document_sha256)).all()) if shas else {}
    items = [{"sha256": sha, "department": dept, "region": {"province": p, "city": c, "county": k, "code": code},
              "fiscal_year": fy, "doc_type": dt, "source_url": urls.get(sha) or url,
              "filename": filename or names.get(sha), "pages": n_pages, "findings": counts,
              "reviewed": reviewed.get(sha, 0), "stored_at": at.isoformat() if at else None}
             for sha, dept, p, c, k, code, fy, dt, url, filename, n_pages, counts, at in page]
    return JSONResponse({"total": total, "offset": offset, "limit": limit, "items": items})


@router.get("/{sha256}", responses=PROBLEM_RESPONSES,
            summary="The stored result of a document, with the reviews of its findings (its text on request)")
async def stored_result(request: Request, caller: ExtractCaller, sha256: Sha,
                        include_text: Annotated[bool, Query(description="decode the stored document again for "
                                                                        "document.text (no extraction)")] = False) -> Response:
    result = await run_in_threadpool(_result, request, caller, sha256)
    if include_text:
        result["document"]["text"] = await run_in_threadpool(_text, request, sha256)
    return Response(orjson.dumps(result), media_type="application/json")


def _text(request: Request, sha: str) -> str:
    from extractors.decode import decode
    data, filename = _bytes(request, sha)
    return decode(data, filename).text


def _may_read(request: Request, caller: Caller, sha: str) -> None:
    """The caller may read the document (one another key brought is not found)."""
    store = request.app.state.store
    with store.session() as s:
        if not store.may_read(s, sha, caller.key_id, caller.is_admin):
            raise ExtractionError(Errors.E007, f"no stored result for document {sha}")


def _bytes(request: Request, sha: str) -> tuple[bytes, str | None]:
    store = request.app.state.store
    with store.session() as s:
        doc = s.get(Document, sha)
        if doc is None:
            raise ExtractionError(Errors.E007, f"document {sha} is not stored")
        return doc.content, doc.filename


@router.patch("/{sha256}/findings/{finding_id}", responses=PROBLEM_RESPONSES,
              summary="Review a finding: confirmed, false alarm or ignored, with a note (null state clears it)")
def review_finding(request: Request, caller: ExtractCaller, sha256: Sha, finding_id: FindingId,
                   body: ReviewRequest) -> JSONResponse:
    result = _result(request, caller, sha256, reviewed=False)
    finding = next((f for f in result.get("findings", []) if f.get("id") == finding_id), None)
    if finding is None:
        raise ExtractionError(Errors.E007, f"document {sha256} has no finding {finding_id}")
    store = request.app.state.store
    with store.session.begin() as s:
        review = store.put_review(s, sha256, finding_id, __version__, body.state, body.note,
                                  body.by or caller.key_id)
    finding.pop("review", None)
    if review is not None:
        finding["review"] = review
    return JSONResponse({"finding": finding})


@router.get("/{sha256}/pages/{page}.png", responses={200: {"content": {"image/png": {}}}, **PROBLEM_RESPONSES},
            response_class=Response, summary="A page of a stored PDF as an image, for drawing evidence boxes on")
async def page_image(request: Request, caller: ExtractCaller, sha256: Sha,
                     page: Annotated[int, Path(ge=1, le=500)],
                     scale: Annotated[float, Query(ge=0.5, le=3.0, description="pixels per PDF point")] = 1.5) -> Response:
    await run_in_threadpool(_may_read, request, caller, sha256)
    png, used, width, height = await run_in_threadpool(pages.page_png, sha256, page, round(scale, 2),
                                                       lambda: _bytes(request, sha256)[0])
    return Response(png, media_type="image/png", headers={
        "cache-control": "private, max-age=86400", "x-page-scale": f"{used:.4f}",
        "x-page-width": f"{width:.2f}", "x-page-height": f"{height:.2f}"})


@router.get("/{sha256}/related", responses=PROBLEM_RESPONSES,
            summary="Stored documents of the same department: other years, the other type (预算/决算)")
def related(request: Request, caller: ExtractCaller, sha256: Sha) -> JSONResponse:
    doc = _result(request, caller, sha256, reviewed=False)["document"]
    if not doc.get("department"):
        return JSONResponse({"items": []})
    query = select(Extraction.document_sha256, Extraction.fiscal_year, Extraction.doc_type, Extraction.filename) \
        .where(Extraction.id.in_(_latest()), Extraction.department == doc["department"],
               Extraction.document_sha256 != sha256)
    if (readable := _readable(caller)) is not None:
        query = query.where(readable)
    with request.app.state.store.session() as s:
        rows = s.execute(query.order_by(Extraction.fiscal_year.desc()).limit(100)).all()
    return JSONResponse({"items": [{"sha256": sha, "fiscal_year": fy, "doc_type": dt, "filename": name}
                                   for sha, fy, dt, name in rows]})


@router.get("/{sha256}/compare/{other}", responses=PROBLEM_RESPONSES,
            summary="This document beside another (year N beside N−1, 预算 beside 决算), differences marked")
def compare(request: Request, caller: ExtractCaller, sha256: Sha,
            other: Annotated[str, Path(pattern="^[0-9a-f]{64}$")]) -> JSONResponse:
    return JSONResponse(comparing.compare(_result(request, caller, sha256, False), _result(request, caller, other, False)))


@router.get("/{sha256}/report.{fmt}", responses={200: {"content": {XLSX: {}, "application/pdf": {}}}, **PROBLEM_RESPONSES},
            response_class=Response, summary="The audit report of a document, as PDF (for print) or XLSX")
async def audit_report(request: Request, caller: ExtractCaller, sha256: Sha, fmt: Literal["pdf", "xlsx"]) -> Response:
    result = await run_in_threadpool(_result, request, caller, sha256)
    body = await run_in_threadpool(report.to_pdf if fmt == "pdf" else report.to_xlsx, result)
    return Response(body, media_type="application/pdf" if fmt == "pdf" else XLSX,
                    headers=_attachment(report.download_name(result, "审核报告", fmt), f"{sha256[:12]}-report.{fmt}"))


@router.get("/{sha256}/{table}.{fmt}", response_class=CSVResponse,
            responses={200: {"content": {XLSX: {}}}, **PROBLEM_RESPONSES},
            summary="Facts, line items, findings (with evidence and review), indicators, checklist or checks "
                    "of a stored document as CSV or XLSX")
def export(request: Request, caller: ExtractCaller, sha256: Sha,
           table: Literal["facts", "line_items", "findings", "indicators", "checklist", "checks"],
           fmt: Literal["csv", "xlsx"]) -> Response:
    result = _result(request, caller, sha256)
    headers = _attachment(report.download_name(result, table, fmt), f"{sha256[:12]}-{table}.{fmt}")
    if fmt == "csv":
        return Response(exports.to_csv(result, table), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(exports.to_xlsx(result, table), media_type=XLSX, headers=headers)


def _attachment(name: str, fallback: str) -> dict:
    """A Content-Disposition that every browser reads: the UTF-8 name (RFC 6266), and an ASCII
    name for the few that read only that."""
    ascii_name = name if name.isascii() and '"' not in name and "\\" not in name else fallback
    return {"content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}
