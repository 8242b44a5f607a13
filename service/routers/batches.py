"""Batches: many documents in one request, each an extraction task (``service.tasks``) run in the
background, by this server without a broker or by the Celery workers with one; progress and
per-document status read from the tasks' rows; JSON Lines results; idempotent with an
Idempotency-Key; stored, so they survive a restart."""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extractors import Errors, ExtractionError, __version__

from .. import tasks
from ..auth import Caller, ExtractCaller
from ..observability import log, observe_result
from ..progress import PageProgress
from ..responses import NDJSONResponse
from ..schemas import PROBLEM_RESPONSES, ExtractRequest
from ..store.db import clean_text
from ..store.models import Batch, BatchItem, ExtractionTask

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
    pages_done: int | None = Field(default=None, description="a PDF's pages read so far (while running, and at the end)")
    pages_total: int | None = None


class BatchStatus(BaseModel):
    id: str
    status: str = Field(description="queued | running | done")
    total: int
    done: int
    failed: int
    items: list[BatchItemStatus]
    results: str


BATCH_BODY = {"requestBody": {"required": True, "content": {
    # the item's schema inlined: model_json_schema's own "#/$defs/…" would point nowhere in the
    # OpenAPI document (ReDoc refuses the whole document over it)
    "application/json": {"schema": {"type": "object", "title": "BatchRequest", "required": ["documents"],
                                    "properties": {"documents": {"type": "array", "minItems": 1,
                                                                 "items": ExtractRequest.model_json_schema()}}}},
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
        fresh = await run_in_threadpool(_write_batch, store, batch_id, key, caller.key_id, docs)
    except IntegrityError:
        # the same Idempotency-Key in a concurrent request of this caller
        earlier = _earlier(request, key, fingerprint) if key else None
        if earlier is None:
            raise ExtractionError(Errors.E015, "a concurrent request is storing the same batch; retry") from None
        return earlier
    await request.app.state.batches.hand_on(fresh)
    return JSONResponse(_status(request, caller, batch_id), status_code=202,
                        headers={"location": f"/v1/batches/{batch_id}"})


def _namespaced(caller: Caller, idempotency_key: str | None) -> str | None:
    """An Idempotency-Key is the caller's own: another key's same string is another key."""
    key = (idempotency_key or "").strip()
    return f"{caller.key_id or '-'}:{key}" if key else None


def _write_batch(store, batch_id: str, key: str | None, owner: str | None, docs) -> list[str]:
    """The documents first (each written at once, a concurrent copy of the same one being no
    error), then the batch, its items, which refer to them, and the task of each document not yet
    asked for with this version; the documents whose tasks this call asked for, to hand on."""
    with store.session.begin() as s:
        shas = [store.put_document(s, data, None, name, key_id=owner) for data, name in docs]
        s.add(Batch(id=batch_id, idempotency=key, api_key_id=owner, extractor_version=__version__))
        s.flush()
        for i, ((_, name), sha) in enumerate(zip(docs, shas)):
            s.add(BatchItem(batch_id=batch_id, position=i, filename=clean_text(name, 500), document_sha256=sha,
                            status="queued"))
        return [sha for sha in dict.fromkeys(shas) if tasks.ask(s, sha, __version__)]


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


def _items(s, batch: Batch) -> list[dict]:
    """Each item as its document's task stands (an item of a batch stored before tasks existed:
    as the item says)."""
    version = batch.extractor_version or __version__
    shas = {i.document_sha256 for i in batch.items}
    work = {t.document_sha256: t for t in s.scalars(select(ExtractionTask).where(
        ExtractionTask.extractor_version == version, ExtractionTask.document_sha256.in_(shas)))}
    items = []
    for i in batch.items:
        task = work.get(i.document_sha256)
        status, error = (task.status, task.error) if task is not None else (i.status, i.error)
        items.append({"position": i.position, "filename": i.filename, "sha256": i.document_sha256,
                      "status": status, "error": error if status == "failed" else None,
                      "pages_done": task.pages_done if task is not None else None,
                      "pages_total": task.pages_total if task is not None else None})
    return items


def _status(request: Request, caller: Caller | None, batch_id: str) -> dict:
    """A batch's progress; ``caller`` must own it (None: the caller's own Idempotency-Key found it)."""
    with request.app.state.store.session() as s:
        batch = s.get(Batch, batch_id) if caller is None else _owned(s, caller, batch_id)
        if batch is None:
            raise ExtractionError(Errors.E007, f"no batch {batch_id}")
        items = _items(s, batch)
    done = sum(i["status"] == "done" for i in items)
    failed = sum(i["status"] == "failed" for i in items)
    started = any(i["status"] != "queued" for i in items)
    state = "done" if done + failed == len(items) else ("running" if started else "queued")
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
        for item in _items(s, batch):
            if item["status"] == "done":
                row = store.latest_extraction(s, item["sha256"])
                lines.append({"position": item["position"], "result": row.result if row else None})
            elif item["status"] == "failed":
                lines.append({"position": item["position"], "error": item["error"]})
            else:
                lines.append({"position": item["position"], "status": item["status"]})
    return Response(b"".join(orjson.dumps(line) + b"\n" for line in lines), media_type="application/x-ndjson")


def adopt_queued_items(store, version: str = __version__) -> int:
    """Tasks for the queued items of batches stored before tasks existed."""
    with store.session.begin() as s:
        shas = s.scalars(select(BatchItem.document_sha256).where(
            BatchItem.status == "queued", BatchItem.document_sha256.is_not(None),
            ~select(ExtractionTask.document_sha256).where(
                ExtractionTask.document_sha256 == BatchItem.document_sha256,
                ExtractionTask.extractor_version == version).exists()).distinct()).all()
        return sum(tasks.ask(s, sha, version) for sha in shas)


class InProcessTasks:
    """Without a broker: the tasks this server asked for run here, through its extraction pool, a
    few at a time; at start-up and every ``SWEEP_S``, those that nobody works on (a server stopped
    mid-batch). Each is claimed before it runs, so two servers resuming the same batches after a
    restart extract each document once."""

    SWEEP_S = 15.0

    def __init__(self, app) -> None:
        self.app = app
        settings = app.state.settings
        self.semaphore = asyncio.Semaphore(settings.batch_concurrency)
        self.lease_s = tasks.lease_s(settings.extract_timeout_s)
        self.worker = tasks.worker_id()
        self.running: set[str] = set()
        self.loops: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None      # set at start

    async def hand_on(self, shas: list[str]) -> None:
        self._hand_on(shas)

    def _hand_on(self, shas: list[str]) -> None:
        """(on the event loop)"""
        for sha in shas:
            if sha in self.running:
                continue
            self.running.add(sha)
            self._spawn(self._task(sha), lambda _, sha=sha: self.running.discard(sha))

    def _spawn(self, coroutine, done=None) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.loops.add(task)
        task.add_done_callback(self.loops.discard)
        if done is not None:
            task.add_done_callback(done)

    def resume(self) -> None:
        """(from any thread but the event loop's: it reads the store) The tasks nobody works on,
        run here: queued, or under a lease that ran out."""
        store = self.app.state.store
        adopt_queued_items(store)
        shas = tasks.unfinished(store, __version__, 0.0)
        if shas and self.loop is not None:
            self.loop.call_soon_threadsafe(self._hand_on, shas)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.SWEEP_S)
            try:
                await run_in_threadpool(self.resume)
            except Exception:            # a store that is down now is tried again at the next sweep
                log.exception("task sweep failed")

    async def _task(self, sha: str) -> None:
        try:
            await self._run(sha)
        except Exception:                    # a store fault: the sweep tries the task again
            log.exception("task %s could not be run", sha)

    async def _run(self, sha: str) -> None:
        store = self.app.state.store
        async with self.semaphore:
            claimed = await run_in_threadpool(tasks.claim, store, sha, __version__, self.worker, self.lease_s)
            if not isinstance(claimed, tasks.Claim):
                return                       # finished, or another live worker has it
            started = time.perf_counter()
            try:
                payload, summary = await self.app.state.extractor.run_with_summary(
                    claimed.data, claimed.filename, claimed.source_url, include_text=False,
                    progress=PageProgress(store.url, sha, __version__))
                result, error = orjson.loads(payload), None
                observe_result(summary)
            except ExtractionError as e:
                result, error = None, e.to_problem()
            except Exception as e:           # a defect of ours: the task still ends
                log.exception("task %s failed", sha)
                result, error = None, ExtractionError(Errors.E017, f"{type(e).__name__}: {e}").to_problem()
            await run_in_threadpool(tasks.finish, store, claimed, result, error, time.perf_counter() - started)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await run_in_threadpool(self.resume)
        self._spawn(self._sweep_forever())

    async def drain(self) -> None:
        for task in list(self.loops):
            task.cancel()


class BrokerTasks:
    """With a broker: the tasks go to the Celery workers; this server sweeps for lost ones."""

    SWEEP_S = 15.0

    def __init__(self, app) -> None:
        self.app = app
        self.loops: set[asyncio.Task] = set()

    async def hand_on(self, shas: list[str]) -> None:
        from .. import broker as queue
        if shas:
            await run_in_threadpool(queue.send, shas, __version__, self.app.state.settings)

    async def _sweep_forever(self) -> None:
        from .. import broker as queue
        while True:
            try:
                await run_in_threadpool(queue.sweep, self.app.state.settings)
            except Exception:
                log.exception("task sweep failed")
            await asyncio.sleep(self.SWEEP_S)

    async def start(self) -> None:
        fresh = await run_in_threadpool(adopt_queued_items, self.app.state.store)
        if fresh:
            await run_in_threadpool(self._send_adopted)
        task = asyncio.get_running_loop().create_task(self._sweep_forever())
        self.loops.add(task)
        task.add_done_callback(self.loops.discard)

    def _send_adopted(self) -> None:
        from .. import broker as queue
        queue.send(tasks.unfinished(self.app.state.store, __version__, 0.0), __version__, self.app.state.settings)

    async def drain(self) -> None:
        for task in list(self.loops):
            task.cancel()


def task_runner(app):
    return BrokerTasks(app) if app.state.settings.broker_url else InProcessTasks(app)
