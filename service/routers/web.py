"""The web page at / (static files shipped in the package; no CDN) and its small config call."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(tags=["web"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/v1/config", summary="What the web page needs to know: whether keys are required, the upload limit")
def config(request: Request) -> dict:
    app = request.app
    return {"keys_required": app.state.key_cache.keys_exist(app.state.store),
            "max_upload_bytes": app.state.settings.max_upload_bytes}
