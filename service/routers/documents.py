"""Stored results by document hash, and their CSV/XLSX exports."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from extractors import Errors, ExtractionError

from ..auth import Caller, ExtractCaller
from ..exports import to_csv, to_xlsx
from ..responses import CSVResponse
from ..schemas import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/documents", tags=["documents"])
Sha = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="the document's SHA-256")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _result(request: Request, caller: Caller, sha: str) -> dict:
    """The stored result, if the caller may read it (a document another key brought is not found)."""
    store = request.app.state.store
    with store.session() as s:
        row = store.latest_extraction(s, sha) if store.may_read(s, sha, caller.key_id, caller.is_admin) else None
        if row is None:
            raise ExtractionError(Errors.E007, f"no stored result for document {sha}")
        return row.result


@router.get("/{sha256}", responses=PROBLEM_RESPONSES, summary="The stored result of a document (without its text)")
def stored_result(request: Request, caller: ExtractCaller, sha256: Sha) -> Response:
    import orjson
    return Response(orjson.dumps(_result(request, caller, sha256)), media_type="application/json")


@router.get("/{sha256}/{table}.{fmt}", response_class=CSVResponse,
            responses={200: {"content": {XLSX: {}}}, **PROBLEM_RESPONSES},
            summary="Facts, line items or findings of a stored document as CSV or XLSX")
def export(request: Request, caller: ExtractCaller, sha256: Sha,
           table: Literal["facts", "line_items", "findings"], fmt: Literal["csv", "xlsx"]) -> Response:
    result = _result(request, caller, sha256)
    name = f"{sha256[:12]}-{table}.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(to_csv(result, table), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(to_xlsx(result, table), media_type=XLSX, headers=headers)
