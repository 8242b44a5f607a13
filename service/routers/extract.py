"""POST /v1/extract: one document in, the v1 contract JSON out."""
from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from extractors import Errors, ExtractionError, extract


from ..responses import FastJSONResponse
from ..settings import Settings, get_settings
from ..schemas import ExtractRequest, PROBLEM_RESPONSES

router = APIRouter(prefix="/v1", tags=["extraction"])

BODY_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": ExtractRequest.model_json_schema()},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
        },
        "required": True,
    }
}


async def read_document(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> dict:
    """The document from a JSON body or a multipart ``file``, as arguments to ``extract``."""
    ctype = request.headers.get("content-type", "")
    length = int(request.headers.get("content-length") or 0)
    if length > settings.max_upload_bytes:
        raise ExtractionError(Errors.E004, f"{length} bytes; the limit is {settings.max_upload_bytes}")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ExtractionError(Errors.E005, "multipart body needs a 'file' part")
        data = await upload.read()
        return {"source": data, "filename": upload.filename, "source_url": form.get("source_url")}
    body = await request.body()
    if ctype.startswith("application/json") or body[:1] in (b"{", b"["):
        try:
            payload = ExtractRequest.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValueError) as e:
            raise ExtractionError(Errors.E005, f"the JSON body is not valid: {e}") from e
        return {"source": payload.text, "filename": payload.filename, "source_url": payload.source_url}
    if ctype.startswith("text/plain"):
        return {"source": body, "filename": None, "source_url": None}
    raise ExtractionError(Errors.E003, f"content type {ctype or 'none'}; send application/json or multipart/form-data")


Document = Annotated[dict, Depends(read_document)]


@router.post("/extract", openapi_extra=BODY_DOC, responses=PROBLEM_RESPONSES,
             summary="Extract quantities, facts, line items, indicators and findings from one document")
async def extract_document(
    document: Document,
    tokens: Annotated[bool, Query(description="add the jieba/spaCy tokens of the text")] = False,
    include_text: Annotated[bool, Query(description="carry document.text in the result")] = True,
) -> FastJSONResponse:
    result = await run_in_threadpool(extract, document["source"], document["filename"],
                                     document["source_url"], tokens)
    return FastJSONResponse(result.to_dict(include_text=include_text))


