"""POST /v1/validate: the findings and the disclosure checklist only, for audit systems."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..auth import ExtractCaller
from ..schemas import PROBLEM_RESPONSES, VALIDATE_RESPONSE
from .extract import BODY_DOC, IncludeText, read_document, respond, run_extraction

router = APIRouter(prefix="/v1", tags=["validation"])


@router.post("/validate", openapi_extra=BODY_DOC, responses={**VALIDATE_RESPONSE, **PROBLEM_RESPONSES},
             summary="Check one document: findings (sums, shares, rates, conflicts, duplicates) and the checklist")
async def validate_document(
    request: Request,
    caller: ExtractCaller,
    include_text: IncludeText = False,
) -> Response:
    document = await read_document(request)
    result = orjson.loads(await run_extraction(request, document))
    body = {k: result[k] for k in ("schema_version", "document", "findings", "disclosure_checklist")}
    return respond(request, body, include_text)
