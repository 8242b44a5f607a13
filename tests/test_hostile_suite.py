"""Every hostile shape (tests/hostile_shapes.py, made at test time) through the three ways in: the
service, the CLI and a crawl of a local portal. For each: a coded 4xx or a result, within a time
and memory bound, /healthz answered throughout, and no tool process or job folder left behind."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from extractors.decode import tools

from . import hostile_shapes as shapes
from .conftest import ROOT, children, start_server
from .portal_site import PortalServer

SECONDS = 60             # per document, beyond the service's own 30 s limit
MEMORY_MB = 1500         # peak RSS of any extraction process


def job_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{tools.JOB_PREFIX}*")}


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def peak_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def check(outcome: dict, allowed: set[str]) -> None:
    if "error" in outcome:
        assert outcome["error"]["code"] in allowed, outcome
        assert 400 <= outcome["error"]["status"] < 500 or outcome["error"]["code"] == "E008", outcome
    else:
        assert "document" in outcome


@pytest.fixture(scope="module")
def made():
    return {name: (make(), filename, allowed) for name, (make, filename, allowed) in shapes.SHAPES.items()}


class Heartbeat(threading.Thread):
    """Polls /healthz all along; any answer slower than 2 s or not 200 is kept."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.failures, self.polls = base, [], 0
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self.stopping.is_set():
                try:
                    r = client.get(self.base + "/healthz")
                    if r.status_code != 200:
                        self.failures.append(r.status_code)
                except httpx.HTTPError as e:
                    self.failures.append(type(e).__name__)
                self.polls += 1
                time.sleep(0.2)


def test_through_the_service(made, tmp_path):
    before = job_folders()
    env = {**os.environ, "FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/s.db", "FISCAL_EXTRACT_TIMEOUT_S": "30",
           "FISCAL_INLINE_MAX_CHARS": "0"}
    proc, base = start_server(env)
    beat = Heartbeat(base)
    beat.start()
    try:
        with httpx.Client(timeout=SECONDS + 30) as client:
            for name, (data, filename, allowed) in made.items():
                started = time.time()
                r = client.post(base + "/v1/extract?include_text=false", files={"file": (filename, data)})
                assert time.time() - started < SECONDS, name
                assert r.status_code < 500, (name, r.text[:500])
                check(r.json() if r.status_code == 200 else {"error": r.json()}, allowed)
                for pid in descendants(proc.pid):
                    assert peak_mb(pid) < MEMORY_MB, (name, pid)
    finally:
        beat.stopping.set()
        beat.join()
        proc.terminate()
        proc.wait(timeout=20)
    assert beat.polls > 5 and beat.failures == []
    assert job_folders() - before == set()


def test_through_the_cli(made, tmp_path):
    before = job_folders()
    paths = []
    for i, (name, (data, filename, _)) in enumerate(made.items()):
        path = tmp_path / f"{i}-{filename}"
        path.write_bytes(data)
        paths.append(path)
    started = time.time()
    p = subprocess.run([sys.executable, "-m", "service.cli", "extract", "--jsonl", "--no-text", "--timeout", "30",
                        *map(str, paths)], cwd=ROOT, capture_output=True, text=True, timeout=SECONDS * len(paths))
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == len(made), p.stderr[-2000:]
    for (name, (_, _, allowed)), line in zip(made.items(), lines):
        check(line, allowed)
    assert time.time() - started < SECONDS * 2 and "Traceback" not in p.stderr
    assert job_folders() - before == set()


class HostilePortal:
    """A portal whose listing links every hostile file as an attachment."""

    def __init__(self, made: dict) -> None:
        self.files, links = {}, []
        for i, (name, (data, filename, _)) in enumerate(made.items()):
            suffix = Path(filename).suffix
            if suffix == ".txt":
                continue                      # a crawl fetches attachments and pages, not .txt files
            path = f"/files/{i}{suffix}"
            self.files[path] = (data, "application/octet-stream")
            links.append(f"<li><a href='{path}'>部门预算附件{i}</a></li>")
        listing = f"<html><head><meta charset='utf-8'></head><body><ul>{''.join(links)}</ul></body></html>"
        self.files["/yjs/index.html"] = (listing.encode(), "text/html; charset=utf-8")
        self.files["/robots.txt"] = (b"User-agent: *\n", "text/plain")


def test_through_a_crawl(made, tmp_path):
    from sqlalchemy import create_engine, text
    before = job_folders()
    portal = HostilePortal(made)
    db = f"sqlite:///{tmp_path}/c.db"
    env = {**os.environ, "FISCAL_EXTRACT_TIMEOUT_S": "30"}
    with PortalServer(portal) as server:
        started = time.time()
        p = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", server.url + "/yjs/index.html",
                            "--db", db, "--allow-private-addresses", "--no-politeness", "--timeout", "10"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS * len(portal.files))
    assert p.returncode == 0, p.stderr[-2000:]
    assert time.time() - started < SECONDS * 3
    engine = create_engine(db)
    with engine.connect() as c:
        sources = c.execute(text("select url, status from sources where kind = 'document'")).fetchall()
        outcomes = c.execute(text("select result is not null, error from extractions")).fetchall()
    engine.dispose()
    assert len(sources) == len(portal.files) - 2 and {s for _, s in sources} == {"done"}
    assert len(outcomes) == len({d for d, _ in portal.files.values()}) - 2
    for has_result, error in outcomes:
        assert has_result or json.loads(error)["code"].startswith("E")
    assert job_folders() - before == set()
