"""The FastAPI application: ``create_app()`` builds it, lexicons load at start-up."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from extractors import __version__, warm_up

from . import problems
from .responses import FastJSONResponse
from .routers import extract, health, validate


@asynccontextmanager
async def lifespan(app: FastAPI):
    warm_up()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="fiscal-extract",
        version=__version__,
        description="Structured, checked data from Chinese 部门预算/部门决算/绩效评价 disclosures. "
                    "Errors are RFC 9457 problem+json with a stable `code`.",
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(extract.router)
    app.include_router(validate.router)
    return app


app = create_app()
