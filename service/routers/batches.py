"""Batches: many documents in one request, processed in the background with bounded
concurrency; progress, per-document status and JSON Lines results; idempotent with an
Idempotency-Key; stored, so they survive a restart."""
from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timezone
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extractors import Errors, ExtractionError, __version__

from ..auth import ExtractCaller
from ..observability import observe_result
from ..responses import NDJSONResponse
from ..schemas import PROBLEM_RESPONSES, ExtractRequest
from ..store.models import Batch, BatchItem, Document

router = APIRouter(prefix="/v1/batches", tags=["batches"])
BatchId = Annotated[str, Path(pattern="^[0-9a-f-]{36}$")]


class BatchRequest(BaseModel):
    documents: list[ExtractRequest] = Field(min_length=1)


class BatchItemStatus(BaseModel):
    position: int
    filename: str | None
    sha256: str | None
    status: str
    error: dict | None = None


class BatchStatus(BaseModel):
    id: str
    status: str = Field(description="queued | running | done")
    total: int
    done: int
    failed: int
    items: list[BatchItemStatus]
    results: str


BATCH_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": BatchRequest.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}, "required": ["files"]}}}}}


async def _documents(request: Request) -> list[tuple[bytes, str | None]]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        uploads = [u for u in form.getlist("files") if not isinstance(u, str)]
        if not uploads:
            raise ExtractionError(Errors.E005, "multipart body needs one or more 'files' parts")
        return [(await u.read(), u.filename) for u in uploads]
    try:
        payload = BatchRequest.model_validate(orjson.loads(await request.body()))
    except (orjson.JSONDecodeError, ValueError) as e:
        raise ExtractionError(Errors.E005, f"the JSON body is not valid: {e}") from None
    return [(d.text.encode("utf-8", "surrogatepass"), d.filename) for d in payload.documents]


@router.post("", status_code=202, openapi_extra=BATCH_BODY, response_model=BatchStatus,
             responses={200: {"model": BatchStatus, "description": "the batch this Idempotency-Key made"},
                        **PROBLEM_RESPONSES},
             summary="Submit up to N documents; they are processed in the background")
async def create_batch(request: Request, caller: ExtractCaller,
                       idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> JSONResponse:
    idempotency_key = (idempotency_key or "").strip() or None
    docs = await _documents(request)
    settings = request.app.state.settings
    if len(docs) > settings.batch_max_documents:
        raise ExtractionError(Errors.E016, f"{len(docs)} documents; the limit is {settings.batch_max_documents}")
    store = request.app.state.store
    fingerprint = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d, _ in docs)).hexdigest()
    if idempotency_key:
        earlier = _earlier(request, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier
    batch_id = str(uuid.uuid4())
    try:
        with store.session.begin() as s:
            s.add(Batch(id=batch_id, idempotency_key=idempotency_key, api_key_id=caller.key_id))
            s.flush()                                  # claim the key before writing the documents
            for i, (data, name) in enumerate(docs):
                sha = store.put_document(s, data, None, name)
                s.add(BatchItem(batch_id=batch_id, position=i, filename=name, document_sha256=sha, status="queued"))
    except IntegrityError:
        # the same key, or the same new document, arrived in a concurrent request
        earlier = _earlier(request, idempotency_key, fingerprint) if idempotency_key else None
        if earlier is None:
            raise ExtractionError(Errors.E015, "a concurrent request is storing the same batch; retry") from None
        return earlier
    request.app.state.batches.submit(batch_id)
    return JSONResponse(_status(request, batch_id), status_code=202, headers={"location": f"/v1/batches/{batch_id}"})


def _earlier(request: Request, key: str, fingerprint: str) -> JSONResponse | None:
    """The batch an Idempotency-Key already made (200), or E015 if it was for other documents."""
    with request.app.state.store.session() as s:
        existing = s.scalar(select(Batch).where(Batch.idempotency_key == key))
        if existing is None:
            return None
        if _fingerprint(existing) != fingerprint:
            raise ExtractionError(Errors.E015, "this Idempotency-Key was used for other documents")
        batch_id = existing.id
    return JSONResponse(_status(request, batch_id), status_code=200)


def _fingerprint(batch: Batch) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(i.document_sha256) for i in batch.items)).hexdigest()


def _status(request: Request, batch_id: str) -> dict:
    with request.app.state.store.session() as s:
        batch = s.get(Batch, batch_id)
        if batch is None:
            raise ExtractionError(Errors.E007, f"no batch {batch_id}")
        items = [{"position": i.position, "filename": i.filename, "sha256": i.document_sha256,
                  "status": i.status, "error": i.error} for i in batch.items]
    done = sum(i["status"] == "done" for i in items)
    failed = sum(i["status"] == "failed" for i in items)
    state = "done" if done + failed == len(items) else ("running" if done + failed else "queued")
    return {"id": batch_id, "status": state, "total": len(items), "done": done, "failed": failed,
            "items": items, "results": f"/v1/batches/{batch_id}/results"}


@router.get("/{batch_id}", response_model=BatchStatus, responses=PROBLEM_RESPONSES,
            summary="Progress and per-document status")
def get_batch(request: Request, caller: ExtractCaller, batch_id: BatchId) -> JSONResponse:
    return JSONResponse(_status(request, batch_id))


@router.get("/{batch_id}/results", response_class=NDJSONResponse, responses=PROBLEM_RESPONSES,
            summary="Results as JSON Lines, one per document in order (an error object for a failed one)")
def batch_results(request: Request, caller: ExtractCaller, batch_id: BatchId) -> Response:
    store = request.app.state.store
    lines = []
    with store.session() as s:
        batch = s.get(Batch, batch_id)
        if batch is None:
            raise ExtractionError(Errors.E007, f"no batch {batch_id}")
        for item in batch.items:
            if item.status == "done":
                row = store.latest_extraction(s, item.document_sha256)
                lines.append({"position": item.position, "result": row.result if row else None})
            elif item.status == "failed":
                lines.append({"position": item.position, "error": item.error})
            else:
                lines.append({"position": item.position, "status": item.status})
    return Response(b"".join(orjson.dumps(line) + b"\n" for line in lines), media_type="application/x-ndjson")


class BatchRunner:
    """Runs queued batch items through the extraction pool, a few at a time."""

    def __init__(self, app) -> None:
        self.app = app
        self.semaphore = asyncio.Semaphore(app.state.settings.batch_concurrency)
        self.tasks: set[asyncio.Task] = set()

    def submit(self, batch_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(batch_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def resume(self) -> None:
        """At start-up: finish what a stopped server left queued."""
        with self.app.state.store.session() as s:
            ids = s.scalars(select(BatchItem.batch_id).where(BatchItem.status == "queued").distinct()).all()
        for batch_id in ids:
            self.submit(batch_id)

    async def _run(self, batch_id: str) -> None:
        store = self.app.state.store
        with store.session() as s:
            queued = [(i.id, i.document_sha256, i.filename) for i in
                      s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.status == "queued"))]
        await asyncio.gather(*(self._item(*q) for q in queued))
        with store.session.begin() as s:
            s.get(Batch, batch_id).finished_at = datetime.now(timezone.utc)

    async def _item(self, item_id: int, sha: str, filename: str | None) -> None:
        store = self.app.state.store
        async with self.semaphore:
            with store.session() as s:
                data = s.get(Document, sha).content
            try:
                payload = await self.app.state.extractor.run(data, filename, include_text=False)
                result, error = orjson.loads(payload), None
                observe_result({"doc_type": result["document"]["doc_type"],
                                "findings": [(f["rule"], f["severity"]) for f in result["findings"]]})
            except ExtractionError as e:
                result, error = None, e.to_problem()
            with store.session.begin() as s:
                if result is not None:
                    store.put_extraction(s, sha, __version__, result, None)
                    s.get(Document, sha).media_type = result["document"]["source"]["media_type"]
                item = s.get(BatchItem, item_id)
                item.status, item.error = ("done", None) if error is None else ("failed", error)

    async def drain(self) -> None:
        for task in list(self.tasks):
            task.cancel()
