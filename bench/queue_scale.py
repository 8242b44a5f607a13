"""`reprocess` of 500 stored documents by Celery workers on the machine's Redis, with one worker
process and with two (issue 18: two ≥ 1.7× as fast as one). Each run starts from a fresh store
(PostgreSQL when it answers, else SQLite) holding the same 500 documents, with its workers already
up; the time is `fiscal-extract reprocess`'s, which hands the tasks on and waits until the store
shows them all finished."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES_URL = os.environ.get("FISCAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER_URL = "redis://127.0.0.1:6379/12"
DOCUMENTS = 500


def available() -> str | None:
    """Why the benchmark cannot run here, or None."""
    try:
        import redis
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3).ping()
    except Exception as e:
        return f"no Redis at {BROKER_URL} ({type(e).__name__})"
    return None


def _store_url() -> str:
    try:
        import psycopg
        from sqlalchemy import create_engine, text
        with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            pass
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA IF EXISTS fiscal_bench CASCADE"))
            c.execute(text("CREATE SCHEMA fiscal_bench"))
        engine.dispose()
        return POSTGRES_URL + "?options=-csearch_path%3Dfiscal_bench"
    except Exception:
        return f"sqlite:///{tempfile.mkdtemp(prefix='fiscal-queue-')}/q.db"


def _documents() -> list[bytes]:
    """500 distinct documents of a county 决算's size and shape (the sample, its unit renamed)."""
    sample = (ROOT / "corpus" / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")
    return [(f"盐边县第{i}基层工会2021年部门决算\n" + sample * 3).encode("utf-8") for i in range(DOCUMENTS)]


def _worker(env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "w+")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--concurrency", "1"], cwd=ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        out.seek(0)
        if " ready." in out.read():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"the worker ended: {log.read_text()[-500:]}")
        time.sleep(0.1)
    raise RuntimeError("the worker did not start")


def run(workers: int, documents: list[bytes]) -> float:
    import redis
    from service.store import get_store
    redis.Redis.from_url(BROKER_URL).flushdb()
    url = _store_url()
    _kind[0] = url.split(":", 1)[0].split("+")[0]
    get_store.cache_clear()
    store = get_store(url)
    with store.session.begin() as s:
        for i, data in enumerate(documents):
            store.put_document(s, data, "text/plain", f"{i}.txt")
    env = {**os.environ, "FISCAL_BROKER_URL": BROKER_URL, "FISCAL_DATABASE_URL": url, "FISCAL_LOG_JSON": "false"}
    tmp = Path(tempfile.mkdtemp(prefix="fiscal-queue-"))
    procs = [_worker(env, tmp / f"worker-{i}.log") for i in range(workers)]
    try:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "service.cli", "reprocess"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=1800)
        elapsed = time.perf_counter() - t0
        if f"re-extracted {len(documents)} documents, 0 failed" not in p.stderr:
            raise RuntimeError(f"reprocess: {p.stderr[-500:]}")
        return elapsed
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def measure(smoke: bool = False) -> dict:
    why = available()
    if why:
        return {"skipped": why}
    documents = _documents()[: 60 if smoke else DOCUMENTS]
    one = run(1, documents)
    two = run(2, documents)
    return {"documents": len(documents), "one_worker_s": one, "two_workers_s": two, "speedup": one / two,
            "store": _kind[0]}


_kind = ["sqlite"]


if __name__ == "__main__":
    print(measure("--smoke" in sys.argv))
