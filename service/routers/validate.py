"""POST /v1/validate: the findings and the disclosure checklist only, for audit systems."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from extractors import extract

from ..responses import FastJSONResponse
from ..schemas import PROBLEM_RESPONSES
from .extract import BODY_DOC, Document

router = APIRouter(prefix="/v1", tags=["validation"])


@router.post("/validate", openapi_extra=BODY_DOC, responses=PROBLEM_RESPONSES,
             summary="Check one document: findings (sums, shares, rates, conflicts, duplicates) and the checklist")
async def validate_document(
    document: Document,
    include_text: Annotated[bool, Query(description="carry document.text in the result")] = False,
) -> FastJSONResponse:
    result = await run_in_threadpool(extract, document["source"], document["filename"], document["source_url"])
    body = result.to_dict(include_text=include_text)
    return FastJSONResponse({"schema_version": body["schema_version"], "document": body["document"],
                             "findings": body["findings"], "disclosure_checklist": body["disclosure_checklist"]})
