"""The FastAPI application: ``create_app()`` builds it; lexicons load and the extraction pool
starts at start-up, not on the first request."""
from __future__ import annotations

import gc
import inspect
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from extractors import __version__
from extractors.errors import Errors

from . import problems
from .auth import BEARER, KEY_SCOPE, KeyCache, security_requirements
from .limits import RequestLimits, rate_limiter
from .observability import RequestContext, configure_logging
from .responses import FastJSONResponse
from fastapi.staticfiles import StaticFiles

from .routers import batches, crawls, docs, documents, extract, health, ontology, validate, web
from .schemas import add_contract_components
from .settings import Settings, get_settings
from .store import get_store
from .worker import Extractor

# The service keeps its own metrics and logs; FastAPI's OpenTelemetry bridge (newer releases) would
# look up the global providers on every request to find that none is configured.
_NO_NATIVE_TELEMETRY = ({"telemetry": {"tracing": False, "metrics": False, "logs": False}}
                        if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {})
# extraction first: routes are matched in this order, and it is the route that takes the load
ROUTERS = (extract.router, validate.router, health.router, batches.router, crawls.router, documents.router,
           ontology.router, web.router, docs.router)
ERRORS_DOC = "\n".join(f"| {e.code} | {e.status} | {e.title} |" for e in Errors.all())


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    configure_logging(settings.log_json)
    app.state.store = get_store(settings.database_url)
    app.state.key_cache = KeyCache()
    app.state.rate_limiter = rate_limiter(settings.rate_limit_per_minute, settings.redis_url)
    app.state.extractor = Extractor(settings.pool_workers, settings.extract_timeout_s, settings.inline_max_chars,
                                    settings.extract_memory_mb)
    await app.state.extractor.start()         # the lexicons are loaded here and in the pool
    gc.freeze()       # what start-up loaded lives as long as the process: keep it out of every collection
    app.state.ready = True
    app.state.batches = batches.task_runner(app)
    await app.state.batches.start()
    yield
    await app.state.batches.drain()
    app.state.extractor.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        **_NO_NATIVE_TELEMETRY,
        title="fiscal-extract",
        version=__version__,
        description=("Structured, checked data from Chinese 部门预算/部门决算/绩效评价 disclosures.\n\n"
                     "Authentication: `Authorization: Bearer <key>` once keys exist (`fiscal-extract keys create`).\n\n"
                     "Errors are RFC 9457 `application/problem+json` with a stable `code`:\n\n"
                     "| code | status | meaning |\n|---|---|---|\n" + ERRORS_DOC),
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
        docs_url=None, redoc_url=None,        # served by routers/docs.py from the package, not a CDN
    )
    app.state.settings = settings
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web.STATIC), name="static")
    app.mount(docs.PREFIX, StaticFiles(directory=docs.ASSETS), name="docs-assets")

    def openapi():
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = add_security(add_contract_components(schema),
                                              [route for router in ROUTERS for route in router.routes])
        return app.openapi_schema
    app.openapi = openapi
    app.add_middleware(RequestLimits, max_bytes_of=lambda: app.state.settings.max_upload_bytes,
                       seconds_of=lambda: app.state.settings.request_timeout_s)
    app.add_middleware(RequestContext)
    return app


def add_security(openapi: dict, routes) -> dict:
    """The bearer scheme on each operation that needs a key, with the scope it needs."""
    openapi.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER
    for route in routes:
        scopes = security_requirements(route.dependant) if isinstance(route, APIRoute) else []
        for method in getattr(route, "methods", None) or ():
            operation = openapi["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            needed = scopes + ([operation.pop(KEY_SCOPE)] if KEY_SCOPE in operation else [])
            if needed:
                operation["security"] = [{"bearer": []}]
                operation["description"] = (operation.get("description", "") +
                                            f"\n\nNeeds a key with the scope: {', '.join(sorted(set(needed)))}"
                                            " (once any key exists).").strip()
    return openapi


def app_factory() -> FastAPI:
    return create_app()
