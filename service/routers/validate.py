"""POST /v1/validate: the findings and the disclosure checklist only, for audit systems."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..auth import authorize
from ..schemas import PROBLEM_RESPONSES, VALIDATE_RESPONSE
from .extract import Flag, document_route, read_document, respond, run_extraction

router = APIRouter(prefix="/v1", tags=["validation"])
INCLUDE_TEXT = Flag("include_text", False, "carry document.text in the result")


@router.post("/validate", openapi_extra=document_route(INCLUDE_TEXT),
             responses={**VALIDATE_RESPONSE, **PROBLEM_RESPONSES},
             summary="Check one document: findings (sums, shares, rates, conflicts, duplicates) and the checklist")
async def validate_document(request: Request) -> Response:
    await authorize(request, "extract")
    include_text = INCLUDE_TEXT.read(request)
    document = await read_document(request)
    result = orjson.loads(await run_extraction(request, document))
    body = {k: result[k] for k in ("schema_version", "document", "findings", "disclosure_checklist")}
    return respond(request, body, include_text)
