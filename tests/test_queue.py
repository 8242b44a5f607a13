"""Extraction as tasks (service.tasks) and Celery workers on a broker (service.broker): each
document extracted once however the work is delivered, lost, resumed or asked for twice."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from extractors import __version__
from service import tasks
from service.app import create_app
from service.settings import Settings
from service.store import get_store
from service.store.models import Extraction, ExtractionTask

from .conftest import REDIS_URL, ROOT, batch_done, fresh_postgres_schema, require_redis

SAMPLE = (ROOT / "corpus" / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")
BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"      # a database of its own, flushed by each test


pytestmark = pytest.mark.usefixtures("fresh_stores")


def small(i: int) -> str:
    return f"盐边县第{i}单位2021年部门决算。本年收入合计{i}.00万元，本年支出合计{i}.00万元。"


# ------------------------------------------------------------------ the task rows alone
def _stored(store, data: bytes) -> str:
    with store.session.begin() as s:
        sha = store.put_document(s, data, None, "a.txt")
        assert tasks.ask(s, sha, __version__)
        assert not tasks.ask(s, sha, __version__)        # asked for once
    return sha


def _task(store, sha):
    with store.session() as s:
        return s.get(ExtractionTask, (sha, __version__))


def test_a_claim_is_held_then_taken_over_once_its_worker_is_gone(store_url):
    store = get_store(store_url)
    sha = _stored(store, small(1).encode())
    first = tasks.claim(store, sha, __version__, "elsewhere:1", lease=60)
    assert isinstance(first, tasks.Claim) and first.data == small(1).encode()
    held = tasks.claim(store, sha, __version__, "elsewhere:2", lease=60)
    assert isinstance(held, tasks.Held) and 50 < held.seconds_left <= 60     # another host: its lease counts
    dead = subprocess.Popen(["true"])
    dead.wait()
    with store.session.begin() as s:                     # a worker of this host whose process has ended
        s.get(ExtractionTask, (sha, __version__)).claimed_by = f"{tasks.worker_id().rpartition(':')[0]}:{dead.pid}"
    again = tasks.claim(store, sha, __version__, tasks.worker_id(), lease=60)
    assert isinstance(again, tasks.Claim) and _task(store, sha).attempts == 2
    tasks.finish(store, again, None, {"code": "E008", "detail": "slow"}, 1.5)
    assert tasks.claim(store, sha, __version__, "elsewhere:3", lease=60) is None          # finished
    row = _task(store, sha)
    assert (row.status, row.error_code, row.seconds) == ("failed", "E008", 1.5)


def test_an_expired_lease_is_taken_over_and_a_document_that_loses_every_worker_fails(store_url):
    store = get_store(store_url)
    sha = _stored(store, small(2).encode())
    for attempt in range(tasks.MAX_ATTEMPTS):
        assert isinstance(tasks.claim(store, sha, __version__, f"elsewhere:{attempt}", lease=60), tasks.Claim)
        with store.session.begin() as s:                 # its worker was lost: the lease ran out
            s.get(ExtractionTask, (sha, __version__)).lease_until = tasks.now() - timedelta(seconds=1)
        assert tasks.unfinished(store, __version__, None) == [sha]
    assert tasks.claim(store, sha, __version__, "elsewhere:9", lease=60) is None
    row = _task(store, sha)
    assert row.status == "failed" and row.error_code == "E006" and "3 times" in row.error["detail"]
    assert tasks.counts(store, __version__)["failed_by_code"] == {"E006": 1}


def test_a_document_extracted_before_tasks_existed_is_done_when_asked_for(store_url):
    store = get_store(store_url)
    with store.session.begin() as s:
        sha = store.put_document(s, b"x", None, None)
        store.put_extraction(s, sha, __version__, {"document": {}}, None)
        assert not tasks.ask(s, sha, __version__)        # nothing to hand on
    assert _task(store, sha).status == "done"


# ------------------------------------------------------------------ without a broker
def test_two_servers_resuming_the_same_batch_extract_each_document_once(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/resume.db", batch_concurrency=4)
    store = get_store(settings.database_url)
    shas = []
    with store.session.begin() as s:                     # a server stopped after accepting these
        for i in range(40):
            sha = store.put_document(s, small(i).encode(), None, f"{i}.txt")
            tasks.ask(s, sha, __version__)
            shas.append(sha)
    with TestClient(create_app(settings)), TestClient(create_app(settings)):
        _wait_finished(store, shas)
    _assert_once(store, shas)


def test_two_callers_posting_the_same_new_documents_both_finish(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/twice.db")
    with TestClient(create_app(settings)) as client:
        _two_callers(client)


# ------------------------------------------------------------------ Celery workers on Redis and PostgreSQL
@pytest.fixture
def queue_env():
    import redis
    require_redis(BROKER_URL)
    redis.Redis.from_url(BROKER_URL).flushdb()
    env = {**os.environ, "FISCAL_BROKER_URL": BROKER_URL, "FISCAL_BROKER_VISIBILITY_S": "4",
           "FISCAL_DATABASE_URL": fresh_postgres_schema("fiscal_queue"), "FISCAL_LOG_JSON": "false",
           "FISCAL_EXTRACT_TIMEOUT_S": "30", "FISCAL_BATCH_MAX_DOCUMENTS": "500"}
    workers = []

    def start(concurrency: int = 1) -> subprocess.Popen:
        log = open(f"/tmp/fiscal-worker-{len(workers)}-{os.getpid()}.log", "w+")
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--concurrency", str(concurrency)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        workers.append(proc)
        deadline = time.time() + 60
        while time.time() < deadline:
            log.seek(0)
            if " ready." in log.read():
                return proc
            assert proc.poll() is None, "the worker ended before it was ready"
            time.sleep(0.1)
        raise AssertionError("the worker did not start")
    yield env, start
    for proc in workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _settings(env) -> Settings:
    return Settings(database_url=env["FISCAL_DATABASE_URL"], broker_url=env["FISCAL_BROKER_URL"],
                    broker_visibility_s=float(env["FISCAL_BROKER_VISIBILITY_S"]), batch_max_documents=500)


def test_two_workers_extract_a_batch_of_200_each_document_once(queue_env):
    env, start = queue_env
    first, second = start(), start()
    settings = _settings(env)
    with TestClient(create_app(settings)) as client:
        docs = [{"text": small(i), "filename": f"{i}.txt"} for i in range(200)]
        status = batch_done(client, client.post("/v1/batches", json={"documents": docs}).json()["id"], 180)
        assert (status["done"], status["failed"]) == (200, 0)
        metrics = client.get("/metrics").text
    store = get_store(settings.database_url)
    shas = [i["sha256"] for i in status["items"]]
    _assert_once(store, shas)
    with store.session() as s:
        holders = {h.rpartition(":")[2] for h in s.scalars(select(ExtractionTask.claimed_by))}
    assert holders == {str(first.pid), str(second.pid)}          # both took part
    assert 'fiscal_tasks{status="done"} 200.0' in metrics and "fiscal_queue_messages 0.0" in metrics
    report = subprocess.run([sys.executable, "-m", "service.cli", "status", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert '"done": 200' in report.stdout and '"queue_length": 0' in report.stdout


def test_a_worker_killed_mid_task_loses_nothing_and_duplicates_nothing(queue_env):
    env, start = queue_env
    workers = {str(p.pid): p for p in (start(), start())}
    settings = _settings(env)
    slow = SAMPLE * 40                      # some seconds of work
    with TestClient(create_app(settings)) as client:
        batch = client.post("/v1/batches", json={"documents": [{"text": slow, "filename": "slow.txt"},
                                                               {"text": small(1)}]}).json()
        store = get_store(settings.database_url)
        sha = batch["items"][0]["sha256"]
        deadline = time.time() + 60
        while (row := _task(store, sha)) is None or row.status != "running":
            assert time.time() < deadline, "the slow task never started"
            time.sleep(0.02)
        victim = workers[row.claimed_by.rpartition(":")[2]]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        status = batch_done(client, batch["id"], 120)
    assert (status["done"], status["failed"]) == (2, 0)
    row = _task(store, sha)
    assert row.attempts == 2 and row.claimed_by.rpartition(":")[2] != str(victim.pid)
    _assert_once(store, [sha])


def test_a_server_restarted_mid_batch_resumes_without_double_work(queue_env):
    env, start = queue_env
    start()
    settings = _settings(env)
    docs = [{"text": small(i) + SAMPLE, "filename": f"{i}.txt"} for i in range(40)]
    with TestClient(create_app(settings)) as client:
        batch = client.post("/v1/batches", json={"documents": docs}).json()
        assert client.get(f"/v1/batches/{batch['id']}").json()["status"] != "done"
    with TestClient(create_app(settings)) as client:            # the restarted server
        status = batch_done(client, batch["id"], 180)
    assert status["done"] == 40
    _assert_once(get_store(settings.database_url), [i["sha256"] for i in status["items"]])


def test_two_callers_posting_the_same_new_documents_to_the_workers_both_finish(queue_env):
    env, start = queue_env
    start(concurrency=2)
    with TestClient(create_app(_settings(env))) as client:
        _two_callers(client)


def test_reprocess_hands_the_stored_documents_to_the_workers(queue_env):
    env, start = queue_env
    start()
    store = get_store(env["FISCAL_DATABASE_URL"])
    with store.session.begin() as s:
        shas = [store.put_document(s, small(i).encode(), None, f"{i}.txt") for i in range(30)]
    p = subprocess.run([sys.executable, "-m", "service.cli", "reprocess"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0 and "re-extracted 30 documents, 0 failed" in p.stderr
    _assert_once(store, shas)


def test_a_crawl_hands_what_it_fetches_to_the_workers(queue_env):
    from .portal_site import PortalServer
    env, start = queue_env
    start(concurrency=2)
    with PortalServer() as server:
        p = subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", server.url + "/yjs/index.html",
                            "--allow-private-addresses", "--no-politeness", "--timeout", "1"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
        expected = len({server.portal.files[d["path"]][0] for d in server.portal.disclosures})
    assert p.returncode == 0, p.stderr[-2000:]
    store = get_store(env["FISCAL_DATABASE_URL"])
    with store.session() as s:
        shas = list(s.scalars(select(ExtractionTask.document_sha256)))
    assert len(shas) >= expected
    _wait_finished(store, shas, done=False)
    with store.session() as s:
        results = s.scalar(select(func.count()).select_from(Extraction).where(Extraction.result.is_not(None)))
        attempts = set(s.scalars(select(ExtractionTask.attempts)))
    assert results == expected and attempts == {1}       # every disclosure, each once, by the workers


def test_a_worker_without_a_broker_says_how_to_give_it_one():
    env = {k: v for k, v in os.environ.items() if k != "FISCAL_BROKER_URL"}
    p = subprocess.run([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "FISCAL_BROKER_URL" in p.stderr


# ------------------------------------------------------------------ helpers
def _two_callers(client) -> None:
    docs = [{"text": small(1000 + i), "filename": f"{i}.txt"} for i in range(30)]
    answers = []

    def post():
        answers.append(client.post("/v1/batches", json={"documents": docs}))
    callers = [threading.Thread(target=post) for _ in range(2)]
    for c in callers:
        c.start()
    for c in callers:
        c.join()
    assert [a.status_code for a in answers] == [202, 202]
    for a in answers:
        assert batch_done(client, a.json()["id"], 120)["done"] == 30
    _assert_once(client.app.state.store, [i["sha256"] for i in answers[0].json()["items"]])


def _wait_finished(store, shas, seconds: float = 120, done: bool = True) -> None:
    """Until every one of these tasks is done (``done``), or finished either way."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        ok, failed = tasks.finished_counts(store, __version__, shas)
        if ok + (0 if done else failed) == len(shas):
            return
        time.sleep(0.1)
    raise AssertionError("the tasks did not finish")


def _assert_once(store, shas) -> None:
    """Each document extracted once: one claim of its task and one stored result."""
    with store.session() as s:
        attempts = dict(s.execute(select(ExtractionTask.document_sha256, ExtractionTask.attempts).where(
            ExtractionTask.document_sha256.in_(shas))).all())
        results = dict(s.execute(select(Extraction.document_sha256, func.count()).where(
            Extraction.document_sha256.in_(shas), Extraction.result.is_not(None))
            .group_by(Extraction.document_sha256)).all())
    assert set(attempts) == set(shas) and set(results) == set(shas)
    assert set(results.values()) == {1}
    retried = {sha for sha, n in attempts.items() if n != 1}
    assert retried <= set(shas[:1]) if len(shas) == 1 else not retried, attempts
