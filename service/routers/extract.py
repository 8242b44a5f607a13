"""POST /v1/extract: one document in, the v1 contract JSON (or JSON-LD) out."""
from __future__ import annotations

import time
from typing import NamedTuple

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from extractors import Errors, ExtractionError, __version__

from ..auth import authorize, key_scope
from ..jsonld import to_jsonld
from ..observability import EXTRACTION, observe_result
from ..schemas import PROBLEM_RESPONSES, RESULT_RESPONSE, ExtractRequest

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


async def read_document(request: Request) -> dict:
    """The document from a JSON body, a multipart ``file`` or a text/plain body."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ExtractionError(Errors.E005, "multipart body needs a 'file' part")
        data = await upload.read()
        url = form.get("source_url")
        return {"source": data, "filename": upload.filename, "source_url": url if isinstance(url, str) else None}
    body = await request.body()
    if ctype.startswith("application/json") or body[:1] in (b"{", b"["):
        try:
            payload = ExtractRequest.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValueError) as e:
            raise ExtractionError(Errors.E005, f"the JSON body is not valid: {e}") from None
        return {"source": payload.text, "filename": payload.filename, "source_url": payload.source_url}
    if ctype.startswith("text/plain"):
        return {"source": body, "filename": None, "source_url": None}
    raise ExtractionError(Errors.E003, f"content type {ctype or 'none'}; send application/json or multipart/form-data")


# The document routes (this one and /v1/validate) read their caller and their query flags
# themselves instead of through FastAPI's parameter resolution, which was a twentieth of a request's
# time under load (README, "Where the service's time goes"). Each flag's OpenAPI entry comes from
# the same definition that reads it.
_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "t": True, "y": True,
             "false": False, "0": False, "no": False, "off": False, "f": False, "n": False}


class Flag(NamedTuple):
    """A true/false query parameter (the spellings FastAPI accepts for a bool)."""
    name: str
    default: bool
    description: str

    def read(self, request: Request) -> bool:
        raw = request.query_params.get(self.name)
        if raw is None:
            return self.default
        value = _BOOLEANS.get(raw.strip().lower())
        if value is None:
            raise ExtractionError(Errors.E005, f"query.{self.name}: {raw!r} is not true or false")
        return value

    def openapi(self) -> dict:
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": {"type": "boolean", "default": self.default, "title": self.name.replace("_", " ").title()}}


def document_route(*flags: Flag) -> dict:
    """``openapi_extra`` of a document route: its body, its flags and the key it needs."""
    return {**BODY_DOC, "parameters": [flag.openapi() for flag in flags], **key_scope("extract")}


TOKENS = Flag("tokens", False, "add the jieba/spaCy tokens of the text")
INCLUDE_TEXT = Flag("include_text", True, "carry document.text in the result")


async def run_extraction(request: Request, document: dict, tokens: bool = False, keep: bool = False,
                         include_text: bool = True) -> bytes:
    """The result's JSON bytes, as the extraction process wrote them. With ``keep`` (and
    ``store_results``) the document and its result are stored before the answer leaves, and the
    caller's key may read them later; a store that cannot take them is an E019 answer, not a
    result that silently was not kept."""
    started = time.perf_counter()
    payload, summary = await request.app.state.extractor.run_with_summary(
        document["source"], document["filename"], document["source_url"], tokens, include_text)
    EXTRACTION.observe(time.perf_counter() - started)
    observe_result(summary)
    store = request.app.state.store
    key_id = getattr(request.state, "key_id", None)
    if keep and request.app.state.settings.store_results and not store.kept(summary["sha256"], __version__, key_id):
        await run_in_threadpool(_store, store, document, payload, key_id)
    return payload


def _store(store, document: dict, payload: bytes, key_id: str | None) -> None:
    result = orjson.loads(payload)
    sha = result["document"]["sha256"]
    source = document["source"]
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    kept = {**result, "document": {k: v for k, v in result["document"].items() if k != "text"}}
    with store.session.begin() as s:
        store.put_document(s, data, result["document"]["source"]["media_type"], document["filename"], key_id=key_id)
        if not store.has_extraction(sha, __version__):
            store.put_extraction(s, sha, __version__, kept, None)
    store.remember(sha, __version__, key_id)


def respond(request: Request, body: dict | bytes, include_text: bool = True) -> Response:
    """``body`` as JSON or JSON-LD; bytes from the extraction are sent as they are when they
    already have the wanted shape (plain JSON, and document.text only if asked for)."""
    wants_ld = "application/ld+json" in request.headers.get("accept", "")
    if isinstance(body, bytes) and not wants_ld:
        return Response(body, media_type="application/json")      # the worker's bytes, untouched
    if isinstance(body, bytes):
        body = orjson.loads(body)
    if not include_text:
        body["document"].pop("text", None)
    if wants_ld:
        context = _context_url(request)
        return Response(orjson.dumps(to_jsonld(body, context)), media_type="application/ld+json")
    return Response(orjson.dumps(body), media_type="application/json")


def _context_url(request: Request) -> str:
    """The @context's address: the configured public address of the service, else a reference
    relative to the answer's own address (never built from the client's Host header)."""
    base = request.app.state.settings.public_url
    return f"{base.rstrip('/')}/v1/context.jsonld" if base else "/v1/context.jsonld"


@router.post("/extract", openapi_extra=document_route(TOKENS, INCLUDE_TEXT),
             responses={**RESULT_RESPONSE, **PROBLEM_RESPONSES},
             summary="Extract quantities, facts, line items, indicators and findings from one document")
async def extract_document(request: Request) -> Response:
    await authorize(request, "extract")
    tokens, include_text = TOKENS.read(request), INCLUDE_TEXT.read(request)
    document = await read_document(request)
    ld = "application/ld+json" in request.headers.get("accept", "")
    payload = await run_extraction(request, document, tokens, keep=True, include_text=include_text or ld)
    return respond(request, payload, include_text)
