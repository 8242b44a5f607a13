"""The crawler on the shapes of real 政务公开 platforms (tests/portal_platforms.py): the extractor
judges what a disclosure is, script-built listings are rendered in Chromium or read from their
JSON endpoint, faults end in a report by class, and the portal directory ships in the package."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import create_engine, text

from .conftest import ROOT, require
from .portal_platforms import PlatformPortal
from .portal_site import PortalServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def platform():
    with PortalServer(PlatformPortal()) as server:
        yield server


def crawl(server, db, *extra, seed="/", env=None):
    return subprocess.run([sys.executable, "-m", "service.cli", "crawl", *extra, "--seed", server.url + seed,
                           "--db", db, "--allow-private-addresses", "--no-politeness", "--timeout", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def rows(db, sql):
    engine = create_engine(db)
    with engine.connect() as c:
        found = c.execute(text(sql)).fetchall()
    engine.dispose()
    return found


def stored(server, db) -> dict[str, dict]:
    """URL path -> the stored result's document, for every source with a result."""
    out = {}
    for url, result in rows(db, "select s.url, e.result from sources s join extractions e on e.document_sha256 = "
                                "s.sha256 where e.result is not null"):
        out[url.removeprefix(server.url)] = json.loads(result)["document"] if isinstance(result, str) else result["document"]
    return out


@pytest.fixture(scope="module")
def rendered_crawl(platform, tmp_path_factory):
    require(bool(CHROMIUM), "Chromium (Debian package chromium)")
    db = f"sqlite:///{tmp_path_factory.mktemp('platform')}/crawl.db"
    platform.reset_counts()
    p = crawl(platform, db)
    return db, p, dict(platform.counts)


def test_every_disclosure_in_every_shape_is_stored_and_extracted(platform, rendered_crawl):
    db, p, counts = rendered_crawl
    assert p.returncode == 0, p.stderr[-3000:]
    found = stored(platform, db)
    for d in platform.portal.disclosures:
        doc = found.get(d["path"])
        assert doc is not None, f"{d['shape']}: {d['path']} not stored ({sorted(found)})"
        assert (doc["department"], doc["fiscal_year"], doc["doc_type"]) == (d["department"], d["year"], d["doc_type"]), d
    names = {r[0] for r in rows(db, "select filename from documents")}
    assert platform.portal.download_name in names              # the name Content-Disposition gives


def test_a_page_that_names_budgets_but_discloses_nothing_is_not_kept(platform, rendered_crawl):
    db, _, counts = rendered_crawl
    for path in platform.portal.not_disclosures:
        assert counts.get(path) == 1                            # fetched, read, judged
        assert path not in stored(platform, db)
        assert rows(db, f"select sha256 from sources where url = '{platform.url}{path}'") == [(None,)]


def test_robots_is_obeyed_and_the_browser_loads_only_the_portal(platform, rendered_crawl):
    db, _, counts = rendered_crawl
    assert not any(path in counts for path in platform.portal.disallowed)
    assert counts.get("/js/list.js") == 1 and counts.get("/api/xxgk/list") == 1     # the rendered listing's calls
    failed = dict(rows(db, "select url, failure from sources where status = 'failed'"))
    assert failed == {platform.url + "/private/internal.pdf": "robots"}


def test_the_report_shows_what_was_found_and_what_failed(platform, rendered_crawl):
    db, p, _ = rendered_crawl
    run_id = p.stdout.strip().splitlines()[-1]
    r = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "report", "--run-id", run_id, "--db", db,
                        "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    report = json.loads(r.stdout)
    years = {(d["fiscal_year"], d["doc_type"]): d["documents"] for d in report["disclosures"]}
    assert years == {(2021, "final_accounts"): 1, (2023, "final_accounts"): 2, (2023, "budget"): 1,
                     (2024, "budget"): 1}
    assert report["failures"]["robots"]["count"] == 1
    assert "failed: 1 URL: robots.txt forbids it" in p.stderr


def test_a_json_listing_endpoint_is_read_without_a_browser(platform, tmp_path):
    portal = tmp_path / "portal.yaml"
    portal.write_text(textwrap.dedent("""\
        name: platform-json
        render: never
        json_listings:
          - {url: '/api/xxgk/list?page={page}', pages: 1, items: data.list, link: url, title: title}
        """), encoding="utf-8")
    db = f"sqlite:///{tmp_path}/json.db"
    p = crawl(platform, db, str(portal), seed="/xxgk/list.html")
    assert p.returncode == 0, p.stderr[-3000:]
    found = stored(platform, db)
    assert {"/xxgk/detail/1.html", "/xxgk/detail/2.html"} <= set(found)


def test_without_rendering_a_script_built_listing_yields_nothing(platform, tmp_path):
    portal = tmp_path / "portal.yaml"
    portal.write_text("name: platform-plain\nrender: never\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path}/plain.db"
    p = crawl(platform, db, str(portal), seed="/xxgk/list.html")
    assert p.returncode == 0
    assert not stored(platform, db)                # the check above is not passed by a crawl that does not render


def test_a_crawl_without_network_says_why_in_one_line_and_fails(tmp_path):
    p = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", "http://no-such-host.invalid/yjs/",
                        "--db", f"sqlite:///{tmp_path}/none.db", "--timeout", "2"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert "the host name does not resolve (DNS)" in p.stderr and "nothing was fetched" in p.stderr


def test_the_packaged_directory_lists_its_places():
    p = subprocess.run([sys.executable, "-m", "service.cli", "portals", "--region", "攀枝花市", "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    places = json.loads(p.stdout)
    assert {r["name"] for r in places} >= {"攀枝花市", "盐边县", "米易县"}
    assert all(r["province"] == "四川省" for r in places)
    yanbian = next(r for r in places if r["name"] == "盐边县")
    assert yanbian["url"].startswith("http") and yanbian["page_available"] in ("是", "否", "存疑")


def test_an_installed_package_crawls_a_region_from_its_own_directory(tmp_path):
    """pip install . into a fresh virtual environment outside the checkout (its dependencies from
    the project's environment), then crawl --region --dry-run from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    ours = next(p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p))
    (site / "project-deps.pth").write_text(ours + "\n", encoding="utf-8")   # the dependencies, not the editable install
    source = tmp_path / "source"
    # the source only: never a database another test has open (copying a live SQLite file opens and
    # closes it in this process, which drops this process's locks on it; another process then takes
    # the file for unused and truncates its -shm, and this process dies of SIGBUS reading it)
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "var", "corpus", "bench", "tests",
                                                                "*.egg-info", "build", "__pycache__", "screenshots",
                                                                ".pytest_cache", ".hypothesis", "*.db", "*.db-*"))
    wheels = tmp_path / "wheels"          # built with the project's setuptools, installed by the new pip
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(wheels), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                          *map(str, wheels.glob("*.whl"))], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("FISCAL_PORTAL_DIRECTORY", "FISCAL_LEXICON_DIR", "PYTHONPATH")}
    p = subprocess.run([str(venv / "bin" / "fiscal-extract"), "crawl", "--region", "盐边县", "--dry-run"],
                       cwd=elsewhere, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.startswith("盐边县\thttp")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import crawler, extractors; print(crawler.__file__, "
                            "extractors.__file__)"], cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert str(ROOT) not in where.stdout and str(venv) in where.stdout
    one = subprocess.run([str(venv / "bin" / "python"), "-c", "from extractors import extract; "
                          "print(extract('2021年本年支出合计270万元。').facts[0]['value'])"], cwd=elsewhere,
                         capture_output=True, text=True, timeout=120, env=env)
    assert one.stdout.strip() == "2700000", one.stderr[-2000:]           # lexicons installed with it
