from fastapi import APIRouter

from extractors import SCHEMA_VERSION, __version__

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok", "version": __version__, "schema_version": SCHEMA_VERSION}
