"""Operations: liveness, readiness, metrics."""
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from extractors import SCHEMA_VERSION, __version__

from ..observability import metrics_body

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok", "version": __version__, "schema_version": SCHEMA_VERSION}


@router.get("/readyz", summary="Lexicons loaded and the store reachable",
            responses={503: {"description": "not ready"}})
def readyz(request: Request) -> JSONResponse:
    checks = {"lexicons": bool(getattr(request.app.state, "ready", False)),
              "store": request.app.state.store.ping()}
    ok = all(checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks, "process": os.getpid()},
                        status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics() -> Response:
    body, ctype = metrics_body()
    return Response(body, media_type=ctype)
