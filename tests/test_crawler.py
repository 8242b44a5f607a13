"""The crawler against a generated portal on 127.0.0.1 with the faults of real portals."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from .conftest import REDIS_URL, ROOT, all_gone, children, copy_sqlite, fresh_postgres_schema, require_redis
from .portal_site import PortalServer


def crawl(server, db, *extra, wait=True, timeout=240, download_timeout=1):
    cmd = [sys.executable, "-m", "service.cli", "crawl", "--seed", server.url + "/yjs/index.html", "--db", db,
           "--allow-private-addresses", "--no-politeness", "--timeout", str(download_timeout), *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out.strip(), err


def rows(db, sql):
    engine = create_engine(db)
    with engine.connect() as c:
        result = c.execute(text(sql)).fetchall()
    engine.dispose()
    return result


@pytest.fixture(scope="module")
def portal():
    with PortalServer() as server:
        yield server


@pytest.fixture(scope="module")
def first_crawl(portal, tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('crawl')}/crawl.db"
    portal.reset_counts()
    run_id, log = crawl(portal, db)
    counts = dict(portal.counts)
    return db, run_id, log, counts


FAULT_PATHS = {"/yjs/detail/missing.html", "/yjs/broken.html", "/files/truncated.pdf", "/files/slow.pdf"}


def test_every_disclosure_is_stored_and_extracted(portal, first_crawl):
    db, run_id, log, counts = first_crawl
    expected = len({portal.portal.files[d["path"]][0] for d in portal.portal.disclosures})
    assert rows(db, "select count(*) from documents")[0][0] == expected
    assert rows(db, "select count(*) from extractions where result is not null")[0][0] == expected
    departments = {r[0] for r in rows(db, "select result from extractions") if r[0]}
    assert all(d["department"] in " ".join(departments) for d in portal.portal.disclosures)
    assert "finished" in log and f"documents {expected + 1}" in log     # the mirror URL is one more fetch


def test_no_url_twice_and_nothing_disallowed(first_crawl):
    db, run_id, log, counts = first_crawl
    assert not any(path.startswith("/private/") for path in counts)
    twice = {p for p, n in counts.items() if n > 1}
    assert twice <= {"/yjs/broken.html", "/files/truncated.pdf", "/files/slow.pdf"}   # retried failures only
    assert "http://other-domain.invalid/yjs/index.html" in {r[0] for r in rows(db, "select url from sources where status='skipped'")}


def test_each_fault_is_recorded_with_its_error(portal, first_crawl):
    db = first_crawl[0]
    failed = {r[0].removeprefix(portal.url): r[1] for r in rows(db, "select url, error from sources where status='failed'")}
    assert "404" in failed["/yjs/detail/missing.html"] or "non-200" in failed["/yjs/detail/missing.html"]
    assert "non-200" in failed["/yjs/broken.html"]
    assert "DataLoss" in failed["/files/truncated.pdf"]
    assert "Timeout" in failed["/files/slow.pdf"] or "took longer" in failed["/files/slow.pdf"]
    assert "robots.txt" in failed["/private/secret.pdf"]
    assert "redirect loop" in failed["/loop/a"]
    sha = rows(db, "select sha256 from sources where url like '%/mirror/copy.pdf'")[0][0]
    assert len(rows(db, f"select url from sources where sha256='{sha}'")) == 2      # two URLs, one document
    wrong_type = [r for r in rows(db, "select media_type, sha256 from sources where url like '%/files/160.pdf'")]
    assert wrong_type[0][0].startswith("text/html") and wrong_type[0][1]


def test_every_fault_has_its_class_in_the_report(portal, first_crawl):
    db, run_id, log, _ = first_crawl
    classes = {r[0].removeprefix(portal.url): r[1] for r in rows(db, "select url, failure from sources where status='failed'")}
    assert classes["/yjs/detail/missing.html"] == "4xx" and classes["/yjs/broken.html"] == "5xx"
    assert classes["/files/truncated.pdf"] == "data_loss" and classes["/files/slow.pdf"] == "timeout"
    assert classes["/private/secret.pdf"] == "robots" and classes["/loop/a"] == "redirect"
    p = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "report", "--run-id", run_id, "--db", db, "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    import json
    report = json.loads(p.stdout)
    assert {k: v["count"] for k, v in report["failures"].items()} == dict(Counter(classes.values()))
    assert sum(d["documents"] for d in report["disclosures"]) == rows(db, "select count(*) from extractions where result is not null")[0][0]
    assert "Traceback" not in log and "failed: 1 URL: robots.txt forbids it" in log


def test_second_crawl_is_conditional_and_extracts_nothing(portal, first_crawl):
    db = first_crawl[0]
    before = rows(db, "select count(*) from extractions")[0][0]
    portal.reset_counts()
    _, log = crawl(portal, db)
    unconditional = {p for p, n in portal.counts.items() if portal.conditional[p] < n}
    assert unconditional <= FAULT_PATHS | {"/robots.txt", "/loop/a", "/loop/b"}   # failures have no validators
    assert rows(db, "select count(*) from extractions")[0][0] == before
    assert "extracted 0" in log


def test_sigkill_halfway_then_resume_gives_the_same_rows(portal, first_crawl, tmp_path):
    reference = first_crawl[0]
    db = f"sqlite:///{tmp_path}/resumed.db"
    proc = crawl(portal, db, "--run-id", "11111111-2222-3333-4444-555555555555", wait=False)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if rows(db, "select count(*) from documents")[0][0] >= 40:
                break
        except Exception:
            pass
    pool = children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert rows(db, "select count(*) from documents")[0][0] < rows(reference, "select count(*) from documents")[0][0]
    assert pool and all_gone(pool, seconds=10), "the extraction processes outlived the killed crawler"
    crawl(portal, db, "--run-id", "11111111-2222-3333-4444-555555555555")
    for sql in ("select sha256 from documents order by 1",
                "select document_sha256 from extractions where result is not null order by 1",
                "select url, case when status = 'failed' then 'failed' else 'fetched' end from sources "
                "where status != 'skipped' order by 1"):
        assert rows(db, sql) == rows(reference, sql)


def test_distributed_crawlers_share_one_frontier_and_one_store(portal):
    import redis
    require_redis(REDIS_URL)
    db = fresh_postgres_schema("crawl_test")
    run = "22222222-3333-4444-5555-666666666666"
    redis.Redis.from_url(REDIS_URL).delete(f"fiscal:{run}:requests", f"fiscal:{run}:dupefilter")
    from service.store import Store
    Store(db).migrate()
    portal.reset_counts()
    # two crawlers and their extraction processes share the cores: a 1 s download timeout could
    # fail a page under load, so this test allows 5 s and makes the slow page slower still
    portal.slow_seconds = 7.0
    try:
        procs = [crawl(portal, db, "--redis", REDIS_URL, "--run-id", run, wait=False, download_timeout=5)
                 for _ in range(2)]
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        portal.slow_seconds = 3.0
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err[-2000:]
        assert "Traceback" not in err, err[-3000:]           # e.g. both processes creating the run's row
    once = {p: n for p, n in portal.counts.items() if p not in FAULT_PATHS and p != "/robots.txt"}
    assert once and all(n == 1 for n in once.values()), {p: n for p, n in once.items() if n > 1}
    expected = len({portal.portal.files[d["path"]][0] for d in portal.portal.disclosures})
    assert rows(db, "select count(*) from documents")[0][0] == expected
    assert rows(db, "select count(*) from (select document_sha256 from extractions group by 1) t")[0][0] == expected


def test_export_opens_in_pandas_with_exact_values(first_crawl, tmp_path):
    import pandas as pd
    db = first_crawl[0]
    for fmt in ("csv", "xlsx", "jsonl", "parquet"):
        out = tmp_path / f"rows.{fmt}"
        p = subprocess.run([sys.executable, "-m", "service.cli", "export", "--format", fmt, "--db", db, "-o", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        frame = {"csv": lambda: pd.read_csv(out, dtype=str), "xlsx": lambda: pd.read_excel(out, dtype=str),
                 "jsonl": lambda: pd.read_json(out, lines=True, dtype=False),
                 "parquet": lambda: pd.read_parquet(out)}[fmt]()
        facts = frame[frame["record"] == "fact"]
        assert len(facts) >= 161 * 3
        values = {Decimal(str(v)) for v in facts[facts["concept"] == "expenditure_total"]["value"]}
        assert Decimal("1070000") in values or len(values) > 100
        assert set(frame["region_code"].dropna()) == {"510422"}
        assert frame["source_url"].str.startswith("http://127.0.0.1").all()


def test_reprocess_re_extracts_without_fetching(first_crawl, tmp_path, monkeypatch):
    src = first_crawl[0].removeprefix("sqlite:///")
    copy = tmp_path / "copy.db"
    copy_sqlite(src, copy)
    db = f"sqlite:///{copy}"
    engine = create_engine(db)
    with engine.begin() as c:
        c.execute(text("update extractions set extractor_version = '0.0.1'"))
    engine.dispose()
    p = subprocess.run([sys.executable, "-m", "service.cli", "reprocess", "--db", db], cwd=ROOT,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0 and "re-extracted 161 documents" in p.stderr


def test_region_from_the_portal_directory(tmp_path, monkeypatch):
    from crawler.config import region_seeds
    directory = tmp_path / "portals.csv"
    directory.write_text("province,city,county,level,name,url,platform_note,source_path\n"
                         "四川省,攀枝花市,盐边县,county,盐边县,http://www.yanbian.gov.cn/yjs/,,x\n"
                         "四川省,攀枝花市,米易县,county,米易县,http://www.scmiyi.gov.cn/yjs/,,x\n"
                         "四川省,攀枝花市,,city,攀枝花市,,,x\n", encoding="utf-8")
    monkeypatch.setenv("FISCAL_PORTAL_DIRECTORY", str(directory))
    assert region_seeds("盐边县") == [("盐边县", "http://www.yanbian.gov.cn/yjs/")]
    assert len(region_seeds("攀枝花市")) == 2                  # a city brings its counties; blank URLs are left out
    with pytest.raises(ValueError):
        region_seeds("不存在县")


def test_crawl_api_starts_a_crawl_and_lists_documents(portal, first_crawl, tmp_path):
    from fastapi.testclient import TestClient
    from service.app import create_app
    from service.auth import new_key
    from service.settings import Settings
    db_file = tmp_path / "api.db"
    copy_sqlite(first_crawl[0].removeprefix("sqlite:///"), db_file)
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db_file}"))) as client:
        store = client.app.state.store
        admin, user = new_key(store, "ops", ["admin", "extract"]), new_key(store, "auditor", ["extract"])
        client.app.state.key_cache.checked = 0
        body = {"seed": portal.url + "/yjs/index.html", "allow_private_addresses": True, "polite": False}
        assert client.post("/v1/crawls", json=body, headers={"authorization": f"Bearer {user}"}).status_code == 403
        r = client.post("/v1/crawls", json=body, headers={"authorization": f"Bearer {admin}"})
        assert r.status_code == 202
        crawl_id = r.json()["id"]
        auth, theirs = {"authorization": f"Bearer {admin}"}, {"authorization": f"Bearer {user}"}
        status = None
        for _ in range(300):
            got = client.get(f"/v1/crawls/{crawl_id}", headers=auth)
            if got.status_code == 200 and got.json()["status"] == "finished":
                status = got.json()
                break
            time.sleep(0.2)
        assert status and status["counts"]["errors"] >= 5 and status["stalled"] is False
        assert client.get(f"/v1/crawls/{crawl_id}", headers=theirs).status_code == 403     # an extract key
        page = client.get("/v1/documents?region=盐边县&year=2023&doc_type=final_accounts&limit=10", headers=auth).json()
        assert page["total"] == 41 and len(page["items"]) == 10
        assert all(i["fiscal_year"] == 2023 and i["region"]["county"] == "盐边县" for i in page["items"])
        one = client.get(f"/v1/documents/{page['items'][0]['sha256']}", headers=auth).json()
        assert one["document"]["fiscal_year"] == 2023
        # what the admin's crawl stored is not another key's to read
        assert client.get("/v1/documents?limit=10", headers=theirs).json()["total"] == 0
        assert client.get(f"/v1/documents/{page['items'][0]['sha256']}", headers=theirs).status_code == 404
