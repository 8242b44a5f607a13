import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The tests never write to ./var: each session gets its own SQLite store unless one is given.
os.environ.setdefault("FISCAL_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='fiscal-test-')}/fiscal.db")
os.environ.setdefault("FISCAL_LOG_JSON", "true")

import httpx
import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
IN_CI = os.environ.get("CI") == "true"


def require(available: bool, what: str, how: str = "scripts/system-deps.sh installs it as root") -> None:
    """Skip with a visible reason when something the test needs is missing; in CI it fails."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing in CI ({how})")
    pytest.skip(f"{what} is not there ({how})")


def copy_sqlite(src, dst) -> None:
    """A copy of a SQLite store through SQLite's backup, never by copying its file: opening and
    closing the file in this process would drop the locks this process's connections hold on it,
    and another process would then take the file for unused (truncating the -shm this process
    reads: SIGBUS)."""
    import sqlite3
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    source.close()
    target.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, *args: str, stdout=subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    """`fiscal-extract serve` (with ``args``) on a free loopback port, once it answers /readyz."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), *args], cwd=ROOT,
                            env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout == subprocess.PIPE else stdout)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return proc, base


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, read from /proc: no subprocess is started (a pgrep
    started while another thread forks a pool process can wait for ever on the fork's inherited pipe)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return kids


def all_gone(pids: list[int], seconds: float) -> bool:
    """Every process has ended within ``seconds`` (a zombie waiting for init to reap it has ended)."""
    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not any(running(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def tesseract():
    from extractors.decode.ocr import tesseract_available
    require(tesseract_available(), "tesseract-ocr with chi_sim")


@pytest.fixture
def libreoffice():
    require(bool(shutil.which("soffice")), "LibreOffice (soffice)")


@pytest.fixture
def cjk_font():
    require(CJK_FONT.exists(), "a CJK font (fonts-wqy-microhei)")
    return CJK_FONT


SHARED = Path(os.environ.get("FISCAL_SHARED") or ROOT.parent / "shared")


@pytest.fixture(scope="session")
def shared():
    """../shared beside the project: the real corpus, which the project refers to and never copies."""
    require((SHARED / "corpus" / "real").is_dir(), f"the real corpus at {SHARED}",
            "CI checks the project out beside ../shared")
    return SHARED


@pytest.fixture(scope="session")
def validator():
    schema = json.loads((ROOT / "schema" / "contract-v1.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


@pytest.fixture(scope="session")
def sample_text():
    return (CORPUS / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")


POSTGRES_URL = os.environ.get("FISCAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FISCAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_available() -> bool:
    try:
        import psycopg
        with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return True
    except Exception:
        return False


def require_redis(url: str = REDIS_URL) -> None:
    """Redis answers at ``url``, else the test skips (fails in CI)."""
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        available = True
    except Exception:
        available = False
    require(available, f"Redis at {url}", "the machine runs Redis on 127.0.0.1:6379")


def fresh_postgres_schema(name: str) -> str:
    """The store URL of an empty PostgreSQL schema ``name`` (dropped first when it exists)."""
    require(postgres_available(), f"PostgreSQL at {POSTGRES_URL}")
    from sqlalchemy import create_engine, text
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    return POSTGRES_URL + f"?options=-csearch_path%3D{name}"


def batch_done(client, batch_id: str, seconds: float = 60, headers=None) -> dict:
    """A batch's status once it is done."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        status = client.get(f"/v1/batches/{batch_id}", headers=headers).json()
        if status["status"] == "done":
            return status
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} did not finish: {status}")


@pytest.fixture
def fresh_stores():
    """A store of the same URL is a new schema in each test (get_store keeps migrated stores)."""
    from service.store import get_store
    get_store.cache_clear()
    yield
    get_store.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Each store test runs on SQLite and on PostgreSQL (a fresh schema each time)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return fresh_postgres_schema("fiscal_test")
