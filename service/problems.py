"""RFC 9457 problem+json responses for every coded error."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from extractors.errors import Errors, ExtractionError

from .observability import log
from .responses import ProblemResponse

def problem_response(error: ExtractionError, instance: str | None = None) -> ProblemResponse:
    body = error.to_problem()
    if instance:
        body["instance"] = instance
    headers = {}
    if getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="fiscal-extract"'
    return ProblemResponse(body, status_code=error.status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ExtractionError)
    async def _coded(request: Request, exc: ExtractionError):
        return problem_response(exc, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _framework(request: Request, exc: StarletteHTTPException):
        """Errors the framework raises itself (bad multipart, unknown route, wrong method)."""
        error = {404: Errors.E007, 405: Errors.E018, 413: Errors.E004, 415: Errors.E003}.get(exc.status_code, Errors.E005)
        response = problem_response(ExtractionError(error, str(exc.detail)), request.url.path)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    @app.exception_handler(SQLAlchemyError)
    async def _store(request: Request, exc: SQLAlchemyError):
        """The store is read-only, gone or unreachable: a coded 503 that says so, never a bare 500."""
        log.error("store error on %s: %s", request.url.path, str(exc).splitlines()[0][:300])
        error = ExtractionError(Errors.E019, "the store cannot be read or written now; nothing was kept, retry later")
        error.retry_after = 10
        return problem_response(error, request.url.path)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect):
        """The client left before its body arrived: nobody reads an answer, and it is no error of ours."""
        return Response(status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return problem_response(ExtractionError(Errors.E005, detail), request.url.path)
