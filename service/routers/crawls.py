"""Crawls (admin): start one, follow it."""
from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Path as PathParam, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from extractors import Errors, ExtractionError

from ..auth import AdminCaller, Caller
from ..observability import log
from ..schemas import PROBLEM_RESPONSES
from ..store.models import CrawlRun, Source

router = APIRouter(prefix="/v1", tags=["crawls"])
ROOT = Path(__file__).resolve().parents[2]


class CrawlRequest(BaseModel):
    seed: str | None = Field(default=None, max_length=2000, pattern=r"^https?://[^\s\x00]+$",
                             description="a start URL, http or https (generic portal configuration)")
    portal: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,100}$",
                               description="a portal YAML name under crawler/portals")
    region: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f]+$",
                               description="a province, city or county from the portal directory")
    allow_private_addresses: bool = False
    polite: bool = Field(default=True, description="false only for a portal of your own (tests, benchmarks)")


class CrawlStatus(BaseModel):
    id: str
    portal: str | None
    status: str = Field(description="starting | running | finished | failed")
    counts: dict | None
    started_at: str | None
    finished_at: str | None
    stalled: bool = Field(False, description="running, but no sign of life for a minute (the process was killed)")
    error: str | None = None


CrawlId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._:-]{1,100}$")]
ALIVE = timedelta(seconds=60)        # a run with no heartbeat for this long is no longer counted as running


@router.post("/crawls", status_code=202, response_model=CrawlStatus, responses=PROBLEM_RESPONSES,
             summary="Start a crawl (admin scope); it runs in its own process, a few at a time")
def start_crawl(request: Request, caller: AdminCaller, body: CrawlRequest) -> JSONResponse:
    if not (body.seed or body.portal or body.region):
        raise ExtractionError(Errors.E005, "give seed, portal or region")
    settings = request.app.state.settings
    run_id = str(uuid.uuid4())
    cmd = [sys.executable, "-m", "service.cli", "crawl", "--db", settings.database_url, "--run-id", run_id]
    if body.portal:
        path = (ROOT / "crawler" / "portals" / f"{body.portal}.yaml").resolve()
        if path.parent != (ROOT / "crawler" / "portals").resolve() or not path.exists():
            raise ExtractionError(Errors.E007, f"no portal configuration {body.portal}")
        cmd.insert(4, str(path))
    if body.seed:
        cmd += ["--seed", body.seed]
    if body.region:
        cmd += ["--region", body.region]
    if body.allow_private_addresses:
        cmd.append("--allow-private-addresses")
    if not body.polite:
        cmd += ["--no-politeness", "--timeout", "2"]
    label = (body.portal or body.seed or body.region)[:200]
    _claim_slot(request.app.state.store, settings, caller, run_id, label)
    log_path = Path(settings.crawl_log_dir) / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    threading.Thread(target=_reap, args=(request.app.state.store, proc, run_id, log_path),
                     name=f"crawl-{run_id[:8]}", daemon=True).start()
    return JSONResponse({"id": run_id, "portal": label, "status": "starting", "counts": None,
                         "started_at": None, "finished_at": None, "stalled": False, "error": None},
                        status_code=202, headers={"location": f"/v1/crawls/{run_id}"})


def _claim_slot(store, settings, caller: Caller, run_id: str, label: str) -> None:
    """The run's row, written before its process starts, once the limits allow it: at most
    ``crawl_max_running`` crawls at once, ``crawl_max_per_key`` of them one key's."""
    now = datetime.now(timezone.utc)
    with store.session.begin() as s:
        live = s.scalars(select(CrawlRun).where(CrawlRun.status.in_(("starting", "running")))).all()
        live = [r for r in live if _seen(r) > now - ALIVE]
        mine = [r for r in live if r.api_key_id == caller.key_id]
        if len(live) >= settings.crawl_max_running or len(mine) >= settings.crawl_max_per_key:
            error = ExtractionError(Errors.E020, f"{len(live)} crawls are running ({len(mine)} of this key); "
                                                 f"the limits are {settings.crawl_max_running} and "
                                                 f"{settings.crawl_max_per_key} per key")
            error.retry_after = 60
            raise error
        s.add(CrawlRun(id=run_id, portal=label, status="starting", api_key_id=caller.key_id, heartbeat_at=now))


def _seen(run: CrawlRun) -> datetime:
    when = run.heartbeat_at or run.started_at
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _reap(store, proc: subprocess.Popen, run_id: str, log_path: Path) -> None:
    """Wait for the crawl process (no zombie is left), and record how it ended when it could not
    say so itself (a bad seed, a crash): its status and the end of its log."""
    code = proc.wait()
    try:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:].strip()
    except OSError:
        tail = ""
    ended = f"the crawl process ended with status {code}" + (f": {tail}" if tail else "")
    try:
        with store.session.begin() as s:
            run = s.get(CrawlRun, run_id)
            if run is not None and run.status in ("starting", "running"):
                run.status, run.finished_at = "failed", datetime.now(timezone.utc)
                run.error = ended
            elif run is not None and code != 0 and not run.error:
                run.error = ended
    except Exception:
        log.exception("could not record the end of crawl %s", run_id)


@router.get("/crawls/{crawl_id}", response_model=CrawlStatus, responses=PROBLEM_RESPONSES,
            summary="A crawl's status and counts (admin scope)")
def get_crawl(request: Request, caller: AdminCaller, crawl_id: CrawlId) -> JSONResponse:
    store = request.app.state.store
    with store.session() as s:
        run = s.get(CrawlRun, crawl_id)
        if run is None:
            raise ExtractionError(Errors.E007, f"no crawl {crawl_id}")
        counts = dict(run.counts or {})
        if run.status == "running":
            counts["fetched_so_far"] = s.scalar(select(func.count()).select_from(Source).where(Source.run_id == crawl_id))
        stalled = run.status in ("starting", "running") and _seen(run) < datetime.now(timezone.utc) - ALIVE
        return JSONResponse({"id": run.id, "portal": run.portal, "status": run.status, "counts": counts,
                             "started_at": run.started_at.isoformat() if run.started_at else None,
                             "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                             "stalled": stalled, "error": run.error})
