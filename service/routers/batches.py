"""Batches: many documents in one request, processed in the background with bounded
concurrency; progress, per-document status and JSON Lines results; idempotent with an
Idempotency-Key; stored, so they survive a restart."""
from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from extractors import Errors, ExtractionError, __version__

from ..auth import Caller, ExtractCaller
from ..observability import log, observe_result
from ..responses import NDJSONResponse
from ..schemas import PROBLEM_RESPONSES, ExtractRequest
from ..store.db import clean_text
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
    key = _namespaced(caller, idempotency_key)
    docs = await _documents(request)
    settings = request.app.state.settings
    if len(docs) > settings.batch_max_documents:
        raise ExtractionError(Errors.E016, f"{len(docs)} documents; the limit is {settings.batch_max_documents}")
    store = request.app.state.store
    fingerprint = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d, _ in docs)).hexdigest()
    if key:
        earlier = _earlier(request, key, fingerprint)
        if earlier is not None:
            return earlier
    batch_id = str(uuid.uuid4())
    try:
        await run_in_threadpool(_write_batch, store, batch_id, key, caller.key_id, docs)
    except IntegrityError:
        # the same Idempotency-Key in a concurrent request of this caller
        earlier = _earlier(request, key, fingerprint) if key else None
        if earlier is None:
            raise ExtractionError(Errors.E015, "a concurrent request is storing the same batch; retry") from None
        return earlier
    request.app.state.batches.submit(batch_id)
    return JSONResponse(_status(request, caller, batch_id), status_code=202,
                        headers={"location": f"/v1/batches/{batch_id}"})


def _namespaced(caller: Caller, idempotency_key: str | None) -> str | None:
    """An Idempotency-Key is the caller's own: another key's same string is another key."""
    key = (idempotency_key or "").strip()
    return f"{caller.key_id or '-'}:{key}" if key else None


def _write_batch(store, batch_id: str, key: str | None, owner: str | None, docs) -> None:
    """The documents first (each written at once, a concurrent copy of the same one being no
    error), then the batch and its items, which refer to them."""
    with store.session.begin() as s:
        shas = [store.put_document(s, data, None, name, key_id=owner) for data, name in docs]
        s.add(Batch(id=batch_id, idempotency=key, api_key_id=owner))
        s.flush()
        for i, ((_, name), sha) in enumerate(zip(docs, shas)):
            s.add(BatchItem(batch_id=batch_id, position=i, filename=clean_text(name, 500), document_sha256=sha,
                            status="queued"))


def _earlier(request: Request, key: str, fingerprint: str) -> JSONResponse | None:
    """The batch an Idempotency-Key already made (200), or E015 if it was for other documents."""
    with request.app.state.store.session() as s:
        existing = s.scalar(select(Batch).where(Batch.idempotency == key))
        if existing is None:
            return None
        if _fingerprint(existing) != fingerprint:
            raise ExtractionError(Errors.E015, "this Idempotency-Key was used for other documents")
        batch_id = existing.id
    return JSONResponse(_status(request, None, batch_id), status_code=200)


def _fingerprint(batch: Batch) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(i.document_sha256) for i in batch.items)).hexdigest()


def _owned(s, caller: Caller, batch_id: str) -> Batch:
    """The caller's batch (an admin reads every batch); another's is not found, as if it did not exist."""
    batch = s.get(Batch, batch_id)
    if batch is None or not (caller.is_admin or batch.api_key_id == caller.key_id):
        raise ExtractionError(Errors.E007, f"no batch {batch_id}")
    return batch


def _status(request: Request, caller: Caller | None, batch_id: str) -> dict:
    """A batch's progress; ``caller`` must own it (None: the caller's own Idempotency-Key found it)."""
    with request.app.state.store.session() as s:
        batch = s.get(Batch, batch_id) if caller is None else _owned(s, caller, batch_id)
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
            summary="Progress and per-document status (the caller's own batches; an admin key reads all)")
def get_batch(request: Request, caller: ExtractCaller, batch_id: BatchId) -> JSONResponse:
    return JSONResponse(_status(request, caller, batch_id))


@router.get("/{batch_id}/results", response_class=NDJSONResponse, responses=PROBLEM_RESPONSES,
            summary="Results as JSON Lines, one per document in order (an error object for a failed one)")
def batch_results(request: Request, caller: ExtractCaller, batch_id: BatchId) -> Response:
    store = request.app.state.store
    lines = []
    with store.session() as s:
        batch = _owned(s, caller, batch_id)
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
    """Runs queued batch items through the extraction pool, a few at a time. Every server worker
    runs one; an item is extracted by the worker that claims it, under a lease that another
    worker may take over once it has run out (the first worker died), so that an item is
    extracted once however many workers resume the same batches after a restart."""

    SWEEP_S = 15.0

    def __init__(self, app) -> None:
        self.app = app
        settings = app.state.settings
        self.semaphore = asyncio.Semaphore(settings.batch_concurrency)
        self.lease = timedelta(seconds=settings.extract_timeout_s * 2 + 30)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.tasks: set[asyncio.Task] = set()
        self.running: set[str] = set()

    def submit(self, batch_id: str) -> None:
        if batch_id in self.running:
            return
        self.running.add(batch_id)
        task = asyncio.get_running_loop().create_task(self._run(batch_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.running.discard(batch_id))

    def resume(self) -> None:
        """At start-up, and every ``SWEEP_S``: the batches with items no live worker holds."""
        now = datetime.now(timezone.utc)
        with self.app.state.store.session() as s:
            ids = s.scalars(select(BatchItem.batch_id).where(
                BatchItem.status == "queued",
                or_(BatchItem.lease_until.is_(None), BatchItem.lease_until < now)).distinct()).all()
        for batch_id in ids:
            self.submit(batch_id)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.SWEEP_S)
            try:
                self.resume()
            except Exception:            # a store that is down now is tried again at the next sweep
                log.exception("batch sweep failed")

    async def _run(self, batch_id: str) -> None:
        store = self.app.state.store
        with store.session() as s:
            queued = [(i.id, i.document_sha256, i.filename) for i in
                      s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.status == "queued"))]
        await asyncio.gather(*(self._item(*q) for q in queued))
        with store.session.begin() as s:
            batch = s.get(Batch, batch_id)
            if batch is not None and all(i.status != "queued" for i in batch.items):
                batch.finished_at = batch.finished_at or datetime.now(timezone.utc)

    def _claim(self, item_id: int) -> bool:
        now = datetime.now(timezone.utc)
        with self.app.state.store.session.begin() as s:
            claimed = s.execute(update(BatchItem).where(
                BatchItem.id == item_id, BatchItem.status == "queued",
                or_(BatchItem.lease_until.is_(None), BatchItem.lease_until < now),
            ).values(claimed_by=self.worker, lease_until=now + self.lease))
            return claimed.rowcount == 1

    async def _item(self, item_id: int, sha: str, filename: str | None) -> None:
        store = self.app.state.store
        async with self.semaphore:
            if not await run_in_threadpool(self._claim, item_id):
                return                     # another worker has it
            try:
                error = await self._extract(sha, filename)
            except Exception as e:         # a defect of ours or a store fault: the item still ends
                log.exception("batch item %s failed", item_id)
                error = ExtractionError(Errors.E017, f"{type(e).__name__}: {e}").to_problem()
            with store.session.begin() as s:
                item = s.get(BatchItem, item_id)
                item.status, item.error = ("done", None) if error is None else ("failed", error)

    async def _extract(self, sha: str, filename: str | None) -> dict | None:
        """The item's document extracted and stored (once per extractor version); its problem, or None."""
        store = self.app.state.store
        if store.has_extraction(sha, __version__):
            return None
        with store.session() as s:
            data = s.get(Document, sha).content
        try:
            payload = await self.app.state.extractor.run(data, filename, include_text=False)
        except ExtractionError as e:
            return e.to_problem()
        result = orjson.loads(payload)
        observe_result({"doc_type": result["document"]["doc_type"],
                        "findings": [(f["rule"], f["severity"]) for f in result["findings"]]})
        with store.session.begin() as s:
            store.put_extraction(s, sha, __version__, result, None)
            s.get(Document, sha).media_type = result["document"]["source"]["media_type"]
        store.remember(sha, __version__)
        return None

    def start(self) -> None:
        self.resume()
        task = asyncio.get_running_loop().create_task(self.sweep_forever())
        self.tasks.add(task)

    async def drain(self) -> None:
        for task in list(self.tasks):
            task.cancel()
