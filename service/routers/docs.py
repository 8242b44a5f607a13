"""The API's documentation, /docs (Swagger UI) and /redoc, from assets shipped with the package
(the fastapi-offline distribution's copies): FastAPI's own pages load them from a CDN, which a
machine without the internet, or a browser that must reach nothing else, does not have."""
from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/docs-assets"
router = APIRouter(include_in_schema=False)
# everything from this server: ReDoc's footer would load its logo from cdn.redoc.ly, which the
# browser now refuses before asking (the pages' own set-up scripts are inline)
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:")


def _local(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def _title(request: Request, what: str) -> str:
    return f"{request.app.title} {request.app.version} – {what}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return _local(get_swagger_ui_html(openapi_url=request.app.openapi_url, title=_title(request, "API"),
                               swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                               swagger_css_url=f"{PREFIX}/swagger-ui.css",
                               swagger_favicon_url=f"{PREFIX}/favicon.png",
                               swagger_ui_parameters={"validatorUrl": None}))   # no badge from validator.swagger.io


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return _local(get_redoc_html(openapi_url=request.app.openapi_url, title=_title(request, "API reference"),
                          redoc_js_url=f"{PREFIX}/redoc.standalone.js", redoc_favicon_url=f"{PREFIX}/favicon.png",
                          with_google_fonts=False))
