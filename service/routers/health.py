"""Operations: liveness, readiness, metrics."""
import os
import socket

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from extractors import SCHEMA_VERSION, __version__

from ..auth import authorize, key_scope
from .. import tasks
from ..observability import log, metrics_body, queue_metrics
from ..schemas import PROBLEM_RESPONSES

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok", "version": __version__, "schema_version": SCHEMA_VERSION}


@router.get("/readyz", summary="Lexicons loaded and the store taking writes",
            responses={503: {"description": "not ready"}})
def readyz(request: Request) -> JSONResponse:
    """The store is checked by a write (a row of health_checks), so that a read-only store or a
    deleted SQLite file shows here, not first as lost results."""
    problem = request.app.state.store.writable(f"{socket.gethostname()}:{os.getpid()}")
    checks = {"lexicons": bool(getattr(request.app.state, "ready", False)), "store": problem is None}
    ok = all(checks.values())
    body = {"status": "ready" if ok else "not ready", "checks": checks, "process": os.getpid()}
    if problem:
        body["store_error"] = problem
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics (a key with the metrics or admin scope, once keys exist)",
            response_class=PlainTextResponse, responses=PROBLEM_RESPONSES, openapi_extra=key_scope("metrics"))
async def metrics(request: Request) -> Response:
    await authorize(request, "metrics", also="admin")
    body, ctype = metrics_body(await run_in_threadpool(_queue, request.app.state))
    return Response(body, media_type=ctype)


def _queue(state) -> bytes:
    """The task queue's metrics, or none when the store cannot be read now (the process's own
    metrics still answer)."""
    try:
        length = None
        if state.settings.broker_url:
            from .. import broker
            length = broker.queue_length(state.settings)
        return queue_metrics(tasks.counts(state.store, __version__), length)
    except Exception:
        log.exception("the task queue's metrics could not be read")
        return b""
