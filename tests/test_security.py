"""Hold under attack and faults: one test (or table of cases) per defect of the reliability issue,
each failing on the code before it. Bounds are asserted from the processes' own accounting."""
import asyncio
import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from extractors.decode import tools
from service.app import create_app
from service.auth import new_key
from service.settings import Settings

from . import hostile_shapes as shapes
from .conftest import REDIS_URL, ROOT, batch_done, children, require_redis
from .portal_site import PortalServer

SAMPLE = "2021年部门决算\n2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。"


def keyed_client(url: str, **settings):
    """A client of a service with keys: an admin, two extract-only keys A and B, a scraper's."""
    from service.store import get_store
    get_store.cache_clear()           # a PostgreSQL schema is made anew for each test
    client = TestClient(create_app(Settings(database_url=url, rate_limit_per_minute=100000, **settings)))
    client.__enter__()
    store = client.app.state.store
    keys = {name: new_key(store, name, scopes) for name, scopes in
            (("admin", ["admin", "extract"]), ("a", ["extract"]), ("b", ["extract"]), ("scraper", ["metrics"]))}
    client.app.state.key_cache.checked = 0
    client.keys = {name: {"authorization": f"Bearer {key}"} for name, key in keys.items()}
    return client


@pytest.fixture
def client(tmp_path):
    c = keyed_client(f"sqlite:///{tmp_path}/s.db")
    yield c
    c.__exit__(None, None, None)


@pytest.fixture
def store_client(store_url):
    """The same on SQLite and on the machine's PostgreSQL."""
    c = keyed_client(store_url)
    yield c
    c.__exit__(None, None, None)


def wait_batch(client, batch_id, who, seconds=60):
    return batch_done(client, batch_id, seconds, headers=client.keys[who])


# ---------------------------------------------------------------- 1. local files through the crawl API
@pytest.mark.parametrize("seed", ["file:///etc/passwd", "data:text/plain,secret", "s3://bucket/key",
                                  "ftp://127.0.0.1/x", "http://", "javascript:alert(1)"])
def test_a_crawl_starts_only_from_a_web_page(client, seed):
    r = client.post("/v1/crawls", json={"seed": seed}, headers=client.keys["admin"])
    assert r.status_code == 400 and r.json()["code"] == "E005"
    p = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", seed, "--db",
                        f"sqlite:///{tempfile.mkdtemp()}/c.db"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "not an http(s) address" in p.stderr and "Traceback" not in p.stderr


def test_scrapy_cannot_fetch_local_schemes():
    from crawler.settings import DEFAULTS
    assert {k: v for k, v in DEFAULTS["DOWNLOAD_HANDLERS"].items() if v is None} == \
        {"file": None, "data": None, "s3": None, "ftp": None}


@pytest.mark.parametrize("ip,refused", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True), ("169.254.169.254", True),
    ("100.100.100.200", True),            # shared address space: a cloud metadata service (is_private misses it)
    ("0.0.0.0", True), ("224.0.0.1", True), ("::1", True), ("fc00::1", True), ("fe80::1%eth0", True),
    ("2002:7f00:1::", True),              # 6to4 carrying 127.0.0.1
    ("::ffff:127.0.0.1", True), ("64:ff9b::a9fe:a9fe", True),   # mapped; NAT64 of 169.254.169.254
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),               # Teredo
    ("8.8.8.8", False), ("114.114.114.114", False), ("2606:4700::1111", False),
])
def test_the_address_guard_refuses_every_non_global_address(ip, refused):
    from crawler.middlewares import forbidden
    assert forbidden(ip) is refused


def crawl(seed, db, *extra):
    return subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", seed, "--db", db,
                           "--no-politeness", "--timeout", "2", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def source_rows(db):
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    with engine.connect() as c:
        rows = c.execute(text("select url, status, error from sources")).fetchall()
    engine.dispose()
    return rows


def test_a_name_that_resolves_to_loopback_reaches_nothing_not_even_robots_txt(tmp_path):
    """localhost stands for a rebinding name: the address is checked where it is resolved, by the
    resolver the downloader connects with, so no request (robots.txt included) reaches it."""
    with PortalServer() as server:
        db = f"sqlite:///{tmp_path}/c.db"
        p = crawl(server.url.replace("127.0.0.1", "localhost") + "/yjs/index.html", db)
        assert p.returncode == 1, p.stderr[-2000:]             # nothing fetched: a crawl that fails says so
        assert dict(server.counts) == {}
    [(url, status, error)] = source_rows(db)
    assert status == "failed" and "SSRF guard" in error and "127.0.0.1" in error


def test_a_host_that_does_not_resolve_is_recorded_not_fetched(tmp_path):
    db = f"sqlite:///{tmp_path}/c.db"
    p = crawl("http://no-such-host.invalid/yjs/index.html", db)
    assert p.returncode == 1 and "the host name does not resolve (DNS)" in p.stderr
    [(url, status, error)] = source_rows(db)
    assert status == "failed" and error


def test_a_seed_redirected_off_site_leaves_its_row(tmp_path):
    with PortalServer() as server:
        db = f"sqlite:///{tmp_path}/c.db"
        assert crawl(server.url + "/away", db, "--allow-private-addresses").returncode == 1   # nothing fetched
    [(url, status, error)] = source_rows(db)
    assert url.endswith("/away") and status == "failed" and "off-site" in error


def test_a_crawl_that_fails_at_once_leaves_its_run_and_its_reason(client):
    r = client.post("/v1/crawls", json={"seed": "http://localhost:9/nothing"}, headers=client.keys["admin"])
    assert r.status_code == 202
    crawl_id = r.json()["id"]
    first = client.get(f"/v1/crawls/{crawl_id}", headers=client.keys["admin"])
    assert first.status_code == 200 and first.json()["status"] in ("starting", "running", "finished")
    deadline = time.time() + 90
    while time.time() < deadline:
        got = client.get(f"/v1/crawls/{crawl_id}", headers=client.keys["admin"]).json()
        if got["status"] in ("finished", "failed"):
            break
        time.sleep(0.3)
    assert got["status"] in ("finished", "failed") and got["portal"] == "http://localhost:9/nothing"
    assert client.get(f"/v1/crawls/{crawl_id}", headers=client.keys["a"]).status_code == 403


# ---------------------------------------------------------------- 2. memory bombs, 3. tools left running
def run_child(data: bytes, name: str, mem_mb: int = 2048, seconds: int = 120) -> dict:
    """The extraction in a child under ``mem_mb`` of address space; its peak RSS from its own
    accounting (and its tools', which it started after exec, from getrusage)."""
    code = f"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({mem_mb} * 2**20, {mem_mb} * 2**20))
from extractors import ExtractionError, extract
data = sys.stdin.buffer.read()
t0 = time.time()
try:
    extract(data, {name!r}); out = {{"ok": True}}
except ExtractionError as e:
    out = {{"ok": False, "code": e.code, "detail": e.detail}}
out["seconds"] = time.time() - t0
# VmHWM, not getrusage: ru_maxrss carries over from the forked test process through exec
out["rss_mb"] = int(next(x for x in open("/proc/self/status") if x.startswith("VmHWM")).split()[1]) / 1024
out["tools_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""
    import json
    p = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=seconds, cwd=ROOT)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def test_an_empty_page_of_14400_pt_is_refused_before_it_is_rendered():
    data = shapes.huge_empty_page()
    assert len(data) < 2000
    out = run_child(data, "page.pdf", mem_mb=1024)
    assert out["ok"] is False and out["code"] == "E004" and out["seconds"] < 10
    assert out["rss_mb"] < 400 and out["tools_mb"] < 400


def test_a_large_page_is_rendered_for_ocr_under_the_pixel_cap(tesseract):
    from extractors.decode.ocr import MAX_PAGE_PIXELS, render_scale
    scale = render_scale(5000, 5000)
    assert (5000 * scale) ** 2 <= MAX_PAGE_PIXELS * 1.001 and scale < 300 / 72
    out = run_child(shapes.large_empty_page(), "page.pdf", mem_mb=2048)
    assert out["code"] in ("E009", "E004") and out["rss_mb"] < 1024 and out["tools_mb"] < 1024


def test_a_docx_whose_body_inflates_past_the_part_limit_is_refused():
    data = shapes.docx_with_a_huge_body(40)
    out = run_child(data, "big.docx", mem_mb=1024)
    assert out["ok"] is False and out["code"] == "E004" and "XML part" in out["detail"] and out["rss_mb"] < 512


def test_a_sheet_is_read_by_the_cells_it_holds_not_the_dimension_it_claims():
    out = run_child(shapes.xlsx_claiming_the_whole_sheet(), "sheet.xlsx", mem_mb=1024)
    assert (out["ok"] or out["code"] == "E004") and out["seconds"] < 10 and out["rss_mb"] < 512


def test_a_document_that_needs_more_memory_than_the_limit_is_e004_and_the_next_is_read():
    from extractors import warm_up
    from service.worker import GuardedExtraction
    warm_up()
    guarded = GuardedExtraction(1, 120, 400)
    try:
        big = ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。\n" * 70_000).encode()
        result, problem = guarded(big, "big.txt")
        assert result is None and problem["code"] in ("E004", "E006") and "memory" in problem["detail"], problem
        result, problem = guarded(SAMPLE.encode(), "a.txt")
        assert problem is None and result["facts"]
    finally:
        guarded.close()


def test_every_extraction_process_runs_under_the_memory_limit(tmp_path):
    """The service's pool process (and the CLI's and the crawler's, which use the same pool)
    carries the limit in its own accounting, /proc/<pid>/limits."""
    from service.worker import Extractor
    extractor = Extractor(1, 30, 0, memory_mb=1536)

    async def start():
        await extractor.start()
    asyncio.run(start())
    try:
        pids = [p for p in children(os.getpid()) if "python" in Path(f"/proc/{p}/cmdline").read_text()]
        limits = [Path(f"/proc/{p}/limits").read_text() for p in pids]
        assert any(f"Max address space         {1536 * 2**20}" in text for text in limits), limits
    finally:
        extractor.close()


def fake_tesseract(tmp_path) -> Path:
    """A tesseract that knows chi_sim and then hangs, writing its pid where the test can see it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "tesseract"
    script.write_text(f"#!/bin/sh\nif [ \"$1\" = --list-langs ]; then echo chi_sim; exit 0; fi\n"
                      f"echo $$ > {tmp_path}/tesseract.pid\ncat > /dev/null\nsleep 300\n")
    script.chmod(0o755)
    return bin_dir


def _dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _jobs_of(pids) -> list:
    return [p for p in Path(tempfile.gettempdir()).glob(f"{tools.JOB_PREFIX}*")
            if any(p.name.startswith(f"{tools.JOB_PREFIX}{pid}-") for pid in pids)]


STOPPED = """
import json, os, signal, sys, time
from pathlib import Path
from extractors.decode import tools
from service.worker import GuardedExtraction, _run
sys.path.insert(0, ".")
from tests.hostile_shapes import _pdf_page
how, pid_file = sys.argv[1], Path(sys.argv[2])
scan = _pdf_page(600, 800)                       # no text layer: it goes to OCR
guarded = GuardedExtraction(1, 4 if how == "time limit" else 60, 2048)
out = {"workers": [], "pid": os.getpid()}
try:
    if how == "time limit":
        started = time.time()
        out["problem"] = guarded(scan, "scan.pdf")[1]
        out["seconds"] = time.time() - started
    else:
        future = guarded.pool.schedule(_run, args=(scan, "scan.pdf", None, False, False))
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            time.sleep(0.05)
        tool = int(pid_file.read_text())
        worker = int(Path(f"/proc/{tool}/stat").read_text().rsplit(")", 1)[1].split()[1])   # its parent
        out["workers"].append(worker)
        os.kill(worker, signal.SIGKILL)
        try:
            future.result(timeout=30)
        except Exception as e:
            out["ended"] = type(e).__name__
        tools.sweep()
finally:
    guarded.close()
print(json.dumps(out))
"""


@pytest.mark.parametrize("how", ["time limit", "process killed"])
def test_a_stopped_extraction_leaves_no_tool_running_and_no_file(tmp_path, how):
    """In a process of its own (a pool forked from the test process would inherit whatever
    earlier tests loaded into it)."""
    import json
    env = {**os.environ, "PATH": f"{fake_tesseract(tmp_path)}:{os.environ['PATH']}"}
    p = subprocess.run([sys.executable, "-c", STOPPED, how, str(tmp_path / "tesseract.pid")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    if how == "time limit":
        assert out["problem"]["code"] == "E008" and out["seconds"] < 10, out
    else:
        assert out["ended"] == "ProcessExpired", out
    tool = int((tmp_path / "tesseract.pid").read_text())
    for _ in range(50):
        if _dead(tool):
            break
        time.sleep(0.1)
    assert _dead(tool)
    assert _jobs_of([out["pid"], *out["workers"]]) == []


# ---------------------------------------------------------------- 4. other keys' data
def test_a_key_reads_only_its_own_batches_documents_and_results(store_client):
    a, b, admin = store_client.keys["a"], store_client.keys["b"], store_client.keys["admin"]
    made = store_client.post("/v1/batches", json={"documents": [{"text": SAMPLE, "filename": "a.txt"}]}, headers=a)
    assert made.status_code == 202
    batch = made.json()["id"]
    wait_batch(store_client, batch, "a")
    for path in (f"/v1/batches/{batch}", f"/v1/batches/{batch}/results"):
        assert store_client.get(path, headers=b).status_code == 404
        assert store_client.get(path, headers=admin).status_code == 200
    sha = hashlib.sha256(SAMPLE.encode()).hexdigest()
    assert store_client.post("/v1/extract", json={"text": SAMPLE + "\n（A）"}, headers=a).status_code == 200
    assert store_client.get(f"/v1/documents/{sha}", headers=a).status_code == 200
    assert store_client.get(f"/v1/documents/{sha}", headers=b).status_code == 404
    assert store_client.get(f"/v1/documents/{sha}/facts.csv", headers=b).status_code == 404
    assert store_client.get("/v1/documents", headers=a).json()["total"] == 2
    assert store_client.get("/v1/documents", headers=b).json()["total"] == 0
    assert store_client.get("/v1/documents", headers=admin).json()["total"] == 2


def test_an_idempotency_key_is_the_callers_own(store_client):
    a, b = store_client.keys["a"], store_client.keys["b"]
    first = store_client.post("/v1/batches", json={"documents": [{"text": SAMPLE}]}, headers={**a, "idempotency-key": "k1"})
    theirs = store_client.post("/v1/batches", json={"documents": [{"text": SAMPLE + "。"}]},
                         headers={**b, "idempotency-key": "k1"})
    assert first.status_code == 202 and theirs.status_code == 202 and first.json()["id"] != theirs.json()["id"]
    again = store_client.post("/v1/batches", json={"documents": [{"text": SAMPLE}]}, headers={**a, "idempotency-key": "k1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_metrics_need_a_key_once_keys_exist(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=client.keys["a"]).status_code == 403
    assert client.get("/metrics", headers=client.keys["scraper"]).status_code == 200
    assert client.get("/metrics", headers=client.keys["admin"]).status_code == 200


# ---------------------------------------------------------------- 5. batches that never finish or run twice
def test_a_batch_with_new_documents_finishes_on_every_store(store_client):
    docs = [{"text": SAMPLE.replace("270", str(300 + i)), "filename": f"d{i}.txt"} for i in range(5)]
    r = store_client.post("/v1/batches", json={"documents": docs}, headers=store_client.keys["a"])
    assert r.status_code == 202, r.text
    done = wait_batch(store_client, r.json()["id"], "a")
    assert done["done"] == 5


def test_two_keys_posting_the_same_new_documents_at_once_both_finish(store_client):
    docs = {"documents": [{"text": SAMPLE.replace("270", str(700 + i))} for i in range(4)]}
    answers = {}

    def post(who):
        answers[who] = store_client.post("/v1/batches", json=docs, headers=store_client.keys[who])
    threads = [threading.Thread(target=post, args=(who,)) for who in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for who, r in answers.items():
        assert r.status_code == 202, r.text
        assert wait_batch(store_client, r.json()["id"], who)["done"] == 4


def test_workers_that_resume_the_same_batches_extract_each_item_once(store_url):
    """Two server workers over one store, both resuming a batch left queued: each item is
    claimed under a lease by one of them."""
    from service.store import get_store
    from service.store.models import Batch, BatchItem
    get_store.cache_clear()
    store = get_store(store_url)
    texts = [SAMPLE.replace("270", str(800 + i)) for i in range(12)]
    with store.session.begin() as s:
        shas = [store.put_document(s, t.encode(), None, f"{i}.txt") for i, t in enumerate(texts)]
        s.add(Batch(id="0" * 8 + "-0000-0000-0000-" + "0" * 12))
        s.flush()
        for i, sha in enumerate(shas):
            s.add(BatchItem(batch_id="0" * 8 + "-0000-0000-0000-" + "0" * 12, position=i, document_sha256=sha,
                            status="queued"))
    calls = []
    apps = [create_app(Settings(database_url=store_url, batch_concurrency=3)) for _ in range(2)]
    clients = [TestClient(app) for app in apps]
    for c in clients:
        c.__enter__()
        original = c.app.state.extractor.run

        async def counted(*args, original=original, **kwargs):
            calls.append(args[0])
            return await original(*args, **kwargs)
        c.app.state.extractor.run = counted
        c.app.state.batches.resume()
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with store.session() as s:
                left = s.query(BatchItem).filter(BatchItem.status == "queued").count()
            if not left:
                break
            time.sleep(0.1)
        assert left == 0
        assert len(calls) <= len(texts) and len(set(calls)) == len(calls)
    finally:
        for c in clients:
            c.__exit__(None, None, None)


def test_an_item_whose_result_cannot_be_stored_still_ends(store_client, monkeypatch):
    store = store_client.app.state.store

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(store, "put_extraction", broken)
    r = store_client.post("/v1/batches", json={"documents": [{"text": SAMPLE + "（坏）"}]}, headers=store_client.keys["a"])
    done = wait_batch(store_client, r.json()["id"], "a")
    assert done["failed"] == 1 and done["items"][0]["error"]["code"] == "E017"


# ---------------------------------------------------------------- 6. bare 500s and silent loss
def test_nul_in_a_file_name_or_a_crawl_id_is_no_500(store_client):
    files = {"files": ("bad\x00name.txt", SAMPLE.encode(), "text/plain")}
    r = store_client.post("/v1/batches", files=files, headers=store_client.keys["a"])
    assert r.status_code == 202, r.text
    assert "\x00" not in (wait_batch(store_client, r.json()["id"], "a")["items"][0]["filename"] or "")
    for path in ("/v1/crawls/%00", "/v1/crawls/a%00b", "/v1/documents?region=%00"):
        got = store_client.get(path, headers=store_client.keys["admin"])
        assert got.status_code < 500 and got.json()["code"] in ("E005", "E007")


def read_only(store):
    """The store turned read-only under the running service (root ignores file modes)."""
    from sqlalchemy import event
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only = ON"))
    store.engine.dispose()


@pytest.mark.parametrize("fault", ["read-only", "folder deleted"])
def test_a_store_that_takes_no_writes_is_not_ready_and_answers_e019(tmp_path, fault):
    import shutil
    folder = tmp_path / "store"
    client = keyed_client(f"sqlite:///{folder}/fiscal.db")
    try:
        admin = client.keys["admin"]
        assert client.get("/readyz").status_code == 200
        if fault == "read-only":
            read_only(client.app.state.store)
        else:
            shutil.rmtree(folder)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["store"] is False
        client.app.state.key_cache.checked = time.monotonic() + 3600     # keys as they were read
        extracted = client.post("/v1/extract", json={"text": SAMPLE + fault}, headers=admin)
        assert extracted.status_code == 503 and extracted.json()["code"] == "E019"
        batch = client.post("/v1/batches", json={"documents": [{"text": SAMPLE + fault + "。"}]}, headers=admin)
        assert batch.status_code == 503 and batch.json()["code"] == "E019"
        assert client.get("/healthz").status_code == 200
    finally:
        client.__exit__(None, None, None)


# ---------------------------------------------------------------- 7. formula injection
def test_exports_never_carry_a_live_formula(client):
    admin = client.keys["admin"]
    body = shapes.formula_rows()
    r = client.post("/v1/extract", files={"file": ("rows.txt", body, "text/plain")}, headers=admin)
    assert r.status_code == 200
    items = r.json()["line_items"]
    assert {i["item"] for i in items} & {'=HYPERLINK("http://evil.example","行政运行")', "@SUM(A1)"}
    sha = r.json()["document"]["sha256"]
    csv_text = client.get(f"/v1/documents/{sha}/line_items.csv", headers=admin).content.decode("utf-8-sig")
    cells = [c for line in csv_text.splitlines() for c in __import__("csv").reader([line]).__next__()]
    assert not any(c.startswith(("=", "@", "+")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells) or any(c.startswith("'@SUM") for c in cells)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/v1/documents/{sha}/line_items.xlsx",
                                                         headers=admin).content)).active
    texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type != "f" for c in texts)


@pytest.mark.parametrize("value,safe", [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+86-10", "'+86-10"), ("+86", "+86"),
                                        ("\tx", "'\tx"), ("\rx", "'\rx"), ("-12.5", "-12.5"), ("正文", "正文"),
                                        (12, 12)])
def test_cells_that_would_run_are_neutralised(value, safe):
    from service.exports import neutral
    assert neutral(value) == safe


# ---------------------------------------------------------------- 8. unbounded work
def test_crawls_are_limited_per_key_and_their_processes_reaped(tmp_path):
    client = keyed_client(f"sqlite:///{tmp_path}/s.db", crawl_max_per_key=2, crawl_max_running=3,
                          crawl_log_dir=str(tmp_path / "logs"))
    try:
        with PortalServer() as server:
            server.slow_seconds = 0.5
            body = {"seed": server.url + "/yjs/index.html", "allow_private_addresses": True, "polite": False}
            answers = [client.post("/v1/crawls", json=body, headers=client.keys["admin"]) for _ in range(3)]
            assert [r.status_code for r in answers] == [202, 202, 429]
            assert answers[2].json()["code"] == "E020" and answers[2].headers["retry-after"]
            ids = [r.json()["id"] for r in answers[:2]]
            deadline = time.time() + 180
            while time.time() < deadline:
                states = [client.get(f"/v1/crawls/{i}", headers=client.keys["admin"]).json()["status"] for i in ids]
                if all(s in ("finished", "failed") for s in states):
                    break
                time.sleep(0.5)
            assert states == ["finished", "finished"]
        time.sleep(1)
        zombies = [p for p in children(os.getpid())
                   if Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"]
        assert zombies == []
        assert all((tmp_path / "logs" / f"{i}.log").exists() for i in ids)
    finally:
        client.__exit__(None, None, None)


def test_the_cli_prints_the_good_file_after_a_bad_one(tmp_path):
    import json
    big = tmp_path / "big.txt"
    big.write_bytes(("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。\n" * 70_000).encode())
    good = tmp_path / "good.txt"
    good.write_text(SAMPLE, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "service.cli", "extract", "--jsonl", "--memory-mb", "400", str(big),
                        str(good)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert p.returncode == 1 and len(lines) == 2
    assert lines[0]["error"]["code"] in ("E004", "E006") and lines[1]["facts"]


def test_the_cli_stops_a_file_at_its_time_limit(tmp_path, monkeypatch):
    import json
    monkeypatch.setenv("PATH", f"{fake_tesseract(tmp_path)}:{os.environ['PATH']}")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(shapes._pdf_page(600, 800))
    good = tmp_path / "good.txt"
    good.write_text(SAMPLE, encoding="utf-8")
    started = time.time()
    p = subprocess.run([sys.executable, "-m", "service.cli", "extract", "--jsonl", "--timeout", "4", str(scan),
                        str(good)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert lines[0]["error"]["code"] == "E008" and lines[1]["facts"] and time.time() - started < 60
    assert _dead(int((tmp_path / "tesseract.pid").read_text()))


def test_half_sent_requests_are_closed(tmp_path):
    from .conftest import start_server
    env = {**os.environ, "FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/s.db", "FISCAL_HEAD_TIMEOUT_S": "1",
           "FISCAL_BODY_IDLE_TIMEOUT_S": "1"}
    proc, base = start_server(env)
    try:
        host, port = base.removeprefix("http://").split(":")
        head = socket.create_connection((host, int(port)))
        head.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\n")          # the head never ends
        body = socket.create_connection((host, int(port)))
        body.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nab")
        for conn in (head, body):
            conn.settimeout(10)             # not closed by then: recv raises, and the test fails
            started = time.time()
            try:
                closed = conn.recv(1024) == b""
            except ConnectionResetError:
                closed = True
            assert closed and time.time() - started < 6
            conn.close()
        import httpx
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_listing_documents_reads_summaries_not_results(client):
    from sqlalchemy import event
    admin = client.keys["admin"]
    for i in range(3):
        assert client.post("/v1/extract", json={"text": SAMPLE.replace("270", str(900 + i))},
                           headers=admin).status_code == 200
    statements = []
    engine = client.app.state.store.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = client.get("/v1/documents?limit=2&offset=1", headers=admin).json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page["total"] == 3 and len(page["items"]) == 2 and page["offset"] == 1
    selects = [s for s in statements if "extractions" in s]
    assert selects and not any("extractions.result," in s or "extractions.result \n" in s or
                               "extractions.result\n" in s for s in selects)


def test_tokens_work_past_a_million_characters():
    from extractors.tokens import tokenize
    text = ("2021年本年收入合计1.00万元。\n" * 60_000)
    assert len(text) > 1_000_000
    tokens = tokenize(text)
    assert tokens[-1]["end"] <= len(text) and text[tokens[-1]["start"]:tokens[-1]["end"]] == tokens[-1]["text"]
    assert sum(t.get("concept") == "revenue_total" for t in tokens) == 60_000


def test_the_rate_limit_is_shared_by_the_workers_through_redis():
    from service.limits import RateLimitExceeded, SharedRateLimiter
    require_redis(REDIS_URL)
    who = f"test-{os.getpid()}-{time.time()}"
    workers = [SharedRateLimiter(10, REDIS_URL) for _ in range(2)]
    taken = 0
    with pytest.raises(RateLimitExceeded):
        for i in range(30):
            workers[i % 2].take(who)
            taken += 1
    assert taken == 10               # ten for both workers together, not ten each


# ---------------------------------------------------------------- 9. smaller
@pytest.mark.parametrize("make,name,code,words", [
    (shapes.encrypted_pdf, "a.pdf", "E006", "encrypted"),
    (shapes.renamed_executable, "report.pdf", "E003", ""),
    (lambda: "纯文本".encode() * 20, "report.pdf", "E003", "named report.pdf"),
])
def test_files_that_are_not_what_they_say_get_their_own_code(make, name, code, words):
    from extractors import ExtractionError, extract
    with pytest.raises(ExtractionError) as e:
        extract(make(), name)
    assert e.value.code == code and words in e.value.detail


def test_a_wrong_method_says_405_in_its_body(client):
    r = client.delete("/v1/extract")
    assert r.status_code == 405 and r.json()["status"] == 405 and r.json()["code"] == "E018"


def test_the_jsonld_context_never_comes_from_the_host_header(tmp_path):
    for public, expected in ((None, "/v1/context.jsonld"), ("https://fiscal.example.org/",
                                                            "https://fiscal.example.org/v1/context.jsonld")):
        with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/{bool(public)}.db",
                                            public_url=public))) as c:
            r = c.post("/v1/extract", json={"text": SAMPLE}, headers={"accept": "application/ld+json",
                                                                      "host": "evil.example"})
            assert r.json()["@context"] == expected


def test_an_unreachable_store_is_one_line_not_a_traceback():
    env = {**os.environ, "FISCAL_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    p = subprocess.run([sys.executable, "-m", "service.cli", "keys", "list"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "store cannot be used" in p.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_store_export_never_carries_a_live_formula(tmp_path, fmt):
    import csv as csvlib
    from extractors import __version__, extract
    from service.exporter import export_rows
    from service.store import get_store
    url = f"sqlite:///{tmp_path}/s.db"
    store = get_store(url)
    data = shapes.formula_rows()
    with store.session.begin() as s:
        sha = store.put_document(s, data, "text/plain", "rows.txt")
        store.put_extraction(s, sha, __version__, extract(data, "rows.txt").to_dict(include_text=False), None)
    out = tmp_path / f"rows.{fmt}"
    assert export_rows(url, fmt, str(out)) >= 2
    if fmt == "csv":
        cells = [c for row in csvlib.reader(out.read_text(encoding="utf-8-sig").splitlines()) for c in row]
        assert "'@SUM(A1)" in cells and not any(c.startswith(("=", "@")) for c in cells)
    else:
        sheet = openpyxl.load_workbook(out).active
        texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert "@SUM(A1)" in {c.value for c in texts} and all(c.data_type != "f" for c in texts)


_FAILING_NEAR_THE_LIMIT = """
import sys
sys.path.insert(0, {root!r})
import service.worker as worker
import extractors.pipeline as pipeline
pipeline.warm_up()

def failing(*args, **kwargs):
    held = bytearray({held_mb} * 2**20)      # what the document took before the allocation failed
    raise ImportError("x.so: failed to map segment from shared object")

pipeline._extract_text = failing
worker._limits["memory_mb"] = {limit_mb}
worker.limit_memory({limit_mb})
ok, payload, _ = worker._run("2021年本年收入合计1.00万元。" * 100, None, None, False, False)
print(payload.decode())
"""


@pytest.mark.parametrize("held_mb, code", [(300, "E004"), (10, "E017")])
def test_an_error_raised_at_the_memory_limit_is_e004_and_a_defect_elsewhere_e017(held_mb, code):
    """Under its address-space limit a refused allocation surfaces as other errors too (a C
    extension's ImportError): with the space nearly all mapped, it is the document's size."""
    import json
    import subprocess
    import sys
    script = _FAILING_NEAR_THE_LIMIT.format(root=str(ROOT), held_mb=held_mb, limit_mb=400)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    problem = json.loads(out.stdout.strip().splitlines()[-1])
    assert problem["code"] == code
