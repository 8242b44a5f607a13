"""The service as audit systems use it: keys, scopes, limits, timeouts, batches, exports,
JSON-LD and operations."""
import asyncio
import io
import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import new_key, revoke_key
from service.settings import Settings

from .conftest import CORPUS, all_gone, batch_done, children, start_server

SAMPLE = (CORPUS / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")
SMALL = "盐边县总工会2021年度部门决算\n2021年本年支出合计270万元，其中：基本支出185.88万元，占68.84%；项目支出84.12万元，占31.16%。"


def make_client(tmp_path, **overrides):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/svc.db", **overrides)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def open_client(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("open"), pool_workers=2) as c:
        yield c


# ------------------------------------------------------------------ keys and scopes
@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("keys")) as c:
        store = c.app.state.store
        keys = {"extract": new_key(store, "auditor", ["extract"]), "admin": new_key(store, "ops", ["admin"]),
                "revoked": new_key(store, "old", ["extract"])}
        revoke_key(store, keys["revoked"].split("_")[1])
        c.app.state.key_cache.checked = 0
        yield c, keys


@pytest.mark.parametrize("who,status,code", [
    (None, 401, "E011"), ("fe_nothere_xxxx", 401, "E012"), ("garbage", 401, "E012"),
    ("revoked", 401, "E012"), ("admin", 403, "E013"), ("extract", 200, None),
])
def test_keys_and_scopes(keyed, who, status, code):
    client, keys = keyed
    headers = {} if who is None else {"authorization": f"Bearer {keys.get(who, who)}"}
    r = client.post("/v1/extract", json={"text": SMALL}, headers=headers)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_stops_working_once_the_cache_is_renewed(tmp_path):
    with make_client(tmp_path) as client:
        store = client.app.state.store
        key = new_key(store, "auditor", ["extract"])      # the only key: revoking it must not open the service
        client.app.state.key_cache.checked = 0
        headers = {"authorization": f"Bearer {key}"}
        assert client.post("/v1/extract", json={"text": SMALL}, headers=headers).status_code == 200
        revoke_key(store, key.split("_")[1])
        # within the cache's few seconds the verified key is not read again
        assert client.post("/v1/extract", json={"text": SMALL}, headers=headers).status_code == 200
        client.app.state.key_cache.checked = 0
        r = client.post("/v1/extract", json={"text": SMALL}, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "E012"


def test_keys_are_stored_hashed(keyed):
    client, keys = keyed
    from service.store.models import ApiKey
    with client.app.state.store.session() as s:
        stored = [k.secret_hash for k in s.query(ApiKey)]
    assert all(keys["extract"] not in h for h in stored) and all(len(h) == 64 for h in stored)


def test_keys_cli_and_serve_refuses_a_public_interface_without_keys(tmp_path):
    env = {"FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                              env=env, timeout=120)
    refused = cli("serve", "--host", "0.0.0.0", "--port", "8999")
    assert refused.returncode == 2 and "without API keys" in refused.stderr
    created = cli("keys", "create", "auditor", "--scope", "extract")
    key = created.stdout.strip()
    assert created.returncode == 0 and key.startswith("fe_")
    listed = cli("keys", "list")
    assert "auditor" in listed.stdout and "active" in listed.stdout and key not in listed.stdout
    assert cli("keys", "revoke", key.split("_")[1]).returncode == 0
    assert "revoked" in cli("keys", "list").stdout


# ------------------------------------------------------------------ where a document is extracted
@pytest.mark.parametrize("source,inline", [
    (SMALL, True), (SMALL * 400, False),                      # 40,000 characters: the pool
    (SMALL.encode("gb18030"), True), (b"%PDF-1.7 not really", False),
    (b"2021" * 6_000, False),                                 # 24,000 one-byte characters: the pool
])
def test_short_plain_text_is_extracted_in_the_server_process(source, inline):
    from service.worker import Extractor
    extractor = Extractor(1, 30, inline_max_chars=20_000)
    try:
        assert extractor.runs_inline(source) is inline
        assert Extractor(1, 30, inline_max_chars=0).runs_inline(SMALL) is False
    finally:
        extractor.close()


def test_inline_and_pool_give_the_same_bytes(tmp_path):
    answers = []
    for inline in (20_000, 0):
        with make_client(tmp_path / str(inline), inline_max_chars=inline) as client:
            r = client.post("/v1/extract?include_text=false", json={"text": SAMPLE})
            assert r.status_code == 200
            answers.append(r.content)
            bad = client.post("/v1/extract", json={"text": "   "})
            assert bad.status_code == 422 and bad.json()["code"] == "E001"
    assert answers[0] == answers[1]


def test_a_defect_of_the_extractor_gets_a_code_not_a_bare_500(tmp_path, monkeypatch):
    import extractors.pipeline

    def broken(*args, **kwargs):
        raise IndexError("a defect")
    with make_client(tmp_path) as client:
        monkeypatch.setattr(extractors.pipeline, "_extract_text", broken)     # short text runs in this process
        r = client.post("/v1/extract", json={"text": SMALL})
    assert r.status_code == 422 and r.json()["code"] == "E017" and "IndexError" in r.json()["detail"]


@pytest.fixture
def inline_extractor(monkeypatch):
    """An Extractor whose inline extractions are recorded turn by turn of the event loop."""
    from service import worker
    turns, real_run = [], worker._run
    running = worker.Extractor._run_waiting

    def run_waiting(self):
        turns.append([])
        running(self)

    def recorded(source, *args):
        turns[-1].append(source)
        return real_run(source, *args)
    monkeypatch.setattr(worker.Extractor, "_run_waiting", run_waiting)
    monkeypatch.setattr(worker, "_run", recorded)
    extractor = worker.Extractor(1, 30, inline_max_chars=len(SMALL) * 2)
    yield extractor, turns
    extractor.close()


def test_requests_ready_together_are_extracted_in_one_turn_each_with_its_own_answer(inline_extractor):
    extractor, turns = inline_extractor
    texts = [SMALL.replace("2021", str(year)) for year in (2019, 2020)]

    async def together():
        return await asyncio.gather(*(extractor.run_with_summary(t, include_text=True) for t in texts))
    answers = asyncio.run(together())
    assert turns == [texts]
    assert [json.loads(payload)["document"]["text"] for payload, _ in answers] == texts
    assert len({summary["sha256"] for _, summary in answers}) == 2


@pytest.mark.parametrize("lengths,expected_turns", [
    ((1, 1, 1), [[0, 1, 2]]),            # lengths in thirds of the limit: all three fill one turn
    ((3, 3, 3), [[0], [1], [2]]),        # the limit each: one per turn, the loop runs in between
    ((1, 3, 1), [[0], [1], [2]]),        # the second does not fit after the first
    ((2, 1, 2), [[0, 1], [2]]),
])
def test_one_turn_holds_the_event_loop_no_longer_than_one_long_document(inline_extractor, lengths, expected_turns):
    extractor, turns = inline_extractor
    limit = extractor.inline_max_chars
    texts = [(SMALL * 2)[: limit * n // 3 - 1] + str(i) for i, n in enumerate(lengths)]

    async def together():
        return await asyncio.gather(*(extractor.run_with_summary(t) for t in texts))
    asyncio.run(together())
    assert turns == [[texts[i] for i in turn] for turn in expected_turns]


def test_a_request_given_up_before_its_turn_is_not_extracted(inline_extractor):
    extractor, turns = inline_extractor

    async def one_given_up():
        kept = asyncio.ensure_future(extractor.run_with_summary(SMALL))
        dropped = asyncio.ensure_future(extractor.run_with_summary(SMALL + "。"))
        await asyncio.sleep(0)          # both wait for their turn
        dropped.cancel()
        return await kept
    payload, _ = asyncio.run(one_given_up())
    assert json.loads(payload)["facts"] and turns == [[SMALL]]


def test_several_workers_are_forked_ready(tmp_path):
    """serve --workers 2: both processes answer, extract, and stop on SIGTERM."""
    import signal
    env = {"FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/w.db", "PATH": "/usr/bin:/bin", "FISCAL_LOG_JSON": "false"}
    proc, base = start_server(env, "--workers", "2", stdout=subprocess.PIPE)
    try:
        processes, deadline = set(), time.time() + 60
        while len(processes) < 2 and time.time() < deadline:
            try:
                r = httpx.get(base + "/readyz", timeout=5)         # a new connection each time
                if r.status_code == 200:
                    processes.add(r.json()["process"])
            except httpx.HTTPError:
                time.sleep(0.1)
        assert len(processes) == 2 and proc.pid not in processes
        r = httpx.post(base + "/v1/extract", json={"text": SMALL}, timeout=30)
        assert r.status_code == 200 and r.json()["facts"]
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output


def test_the_extraction_process_ends_with_a_server_killed_outright(tmp_path):
    import signal
    env = {"FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/k.db", "PATH": "/usr/bin:/bin", "FISCAL_LOG_JSON": "false"}
    proc, _ = start_server(env)
    try:
        pool = children(proc.pid)
        assert pool, "the server started no extraction process"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert all_gone(pool, seconds=10), "the extraction process outlived the killed server"


def test_a_client_that_leaves_before_its_body_is_no_server_error(open_client):
    app = open_client.app
    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/v1/extract", "raw_path": b"/v1/extract",
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1234), "headers": [(b"content-type", b"application/json")]}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] < 500


# ------------------------------------------------------------------ limits
def test_rate_limit_hit_and_recovered(tmp_path):
    with make_client(tmp_path, rate_limit_per_minute=3) as client:
        codes = [client.get("/v1/documents/" + "0" * 64).status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        r = client.get("/v1/documents/" + "0" * 64)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "E014"
        limiter = client.app.state.rate_limiter
        for who, (tokens, last) in list(limiter.buckets.items()):
            limiter.buckets[who] = (tokens, last - 60)          # a minute passes
        assert client.get("/v1/documents/" + "0" * 64).status_code == 404


def test_oversized_body_is_refused_before_it_is_read(tmp_path):
    with make_client(tmp_path, max_upload_bytes=1000) as client:
        r = client.post("/v1/extract", content=b"x" * 5000, headers={"content-type": "text/plain"})
        assert r.status_code == 413 and r.json()["code"] == "E004"

        def chunks():                     # no Content-Length: counted as it arrives
            for _ in range(50):
                yield b"y" * 100
        r = client.post("/v1/extract", content=chunks(), headers={"content-type": "text/plain"})
        assert r.status_code == 413 and r.json()["code"] == "E004"


def test_slow_document_times_out_while_others_are_served(tmp_path):
    big = SMALL * 8000                                      # ~0.9 M characters: longer than the limit
    with make_client(tmp_path, extract_timeout_s=0.3, pool_workers=2) as client:
        results = {}

        def slow():
            results["slow"] = client.post("/v1/extract", json={"text": big})
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.05)
        fast = client.post("/v1/extract", json={"text": SMALL})
        health = client.get("/healthz")
        t.join(timeout=60)
        assert fast.status_code == 200 and health.status_code == 200
        assert results["slow"].status_code == 503 and results["slow"].json()["code"] == "E008"
        again = client.post("/v1/extract", json={"text": SMALL})     # the pool replaced the stopped process
        assert again.status_code == 200


# ------------------------------------------------------------------ batches
def test_batch_json_with_a_failing_document(open_client):
    docs = [{"text": SAMPLE, "filename": "a.txt"}, {"text": "   ", "filename": "empty.txt"},
            {"text": SMALL, "filename": "b.txt"}]
    r = open_client.post("/v1/batches", json={"documents": docs})
    assert r.status_code == 202 and r.headers["location"].endswith(r.json()["id"])
    status = batch_done(open_client, r.json()["id"])
    assert (status["total"], status["done"], status["failed"]) == (3, 2, 1)
    assert status["items"][1]["error"]["code"] == "E001"
    lines = [json.loads(x) for x in open_client.get(status["results"]).text.splitlines()]
    assert [x["position"] for x in lines] == [0, 1, 2]
    assert lines[0]["result"]["document"]["department"] == "盐边县总工会" and "error" in lines[1]


def test_batch_multipart_and_idempotency(open_client):
    files = [("files", ("a.txt", SMALL.encode("gb18030"), "text/plain")),
             ("files", ("b.txt", SAMPLE.encode("utf-8"), "text/plain"))]
    first = open_client.post("/v1/batches", files=files, headers={"idempotency-key": "audit-2024-001"})
    again = open_client.post("/v1/batches", files=files, headers={"idempotency-key": "audit-2024-001"})
    assert first.status_code == 202 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = open_client.post("/v1/batches", files=files[:1], headers={"idempotency-key": "audit-2024-001"})
    assert other.status_code == 409 and other.json()["code"] == "E015"
    assert batch_done(open_client, first.json()["id"])["done"] == 2


def test_batch_limit(tmp_path):
    with make_client(tmp_path, batch_max_documents=2) as client:
        r = client.post("/v1/batches", json={"documents": [{"text": SMALL}] * 3})
        assert r.status_code == 413 and r.json()["code"] == "E016"


def test_batch_survives_a_restart(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/restart.db")
    from service.store import get_store
    from service.store.models import Batch, BatchItem
    store = get_store(settings.database_url)
    with store.session.begin() as s:               # a server stopped after accepting this batch
        sha = store.put_document(s, SMALL.encode(), None, "a.txt")
        s.add(Batch(id="00000000-0000-0000-0000-000000000001"))
        s.add(BatchItem(batch_id="00000000-0000-0000-0000-000000000001", position=0, filename="a.txt",
                        document_sha256=sha, status="queued"))
    with TestClient(create_app(settings)) as client:
        status = batch_done(client, "00000000-0000-0000-0000-000000000001")
        assert status["done"] == 1


# ------------------------------------------------------------------ exports
def test_exports_keep_decimals_and_chinese(open_client):
    body = open_client.post("/v1/extract", json={"text": SAMPLE}).json()
    sha = body["document"]["sha256"]
    for _ in range(50):
        if open_client.get(f"/v1/documents/{sha}").status_code == 200:
            break
        time.sleep(0.05)
    csv_r = open_client.get(f"/v1/documents/{sha}/facts.csv")
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    text = csv_r.content.decode("utf-8-sig")
    assert "expenditure.basic,基本支出,1858800,CNY" in text and "0.6884" in text
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(open_client.get(f"/v1/documents/{sha}/line_items.xlsx").content))
    rows = list(book.active.values)
    header, data = rows[0], rows[1:]
    amount = header.index("金额（元）")     # XLSX is for people: Chinese headers
    got = {str(r[amount]) for r in data}
    assert {"633400", "1958000"} <= {g.removesuffix(".0") for g in got}
    assert "一般公共服务支出" in {r[header.index("类")] for r in data}
    findings = open_client.get(f"/v1/documents/{sha}/findings.csv").content.decode("utf-8-sig")
    assert "change_rate_mismatch" in findings
    assert open_client.get("/v1/documents/" + "f" * 64 + "/facts.csv").json()["code"] == "E007"


# ------------------------------------------------------------------ JSON-LD and the ontology
def test_jsonld_expands_and_answers_sparql(open_client):
    from pyld import jsonld
    from rdflib import Graph
    r = open_client.post("/v1/extract?include_text=false", json={"text": SAMPLE},
                         headers={"accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    context = open_client.get("/v1/context.jsonld").json()

    def loader(url, options=None):
        assert url.endswith("/v1/context.jsonld")
        return {"contextUrl": None, "documentUrl": url, "document": context}
    assert doc["@context"] == "/v1/context.jsonld"        # relative to the answer's address, never the Host header's
    expanded = jsonld.expand(doc, {"documentLoader": loader, "base": "http://127.0.0.1:8000/v1/extract"})
    assert expanded and any("http://data.openbudgets.eu/ontology/dsd/measure/amount" in n
                            for n in _nodes(expanded))
    graph = Graph()
    doc["@context"] = context["@context"]
    graph.parse(data=json.dumps(doc), format="json-ld")
    rows = graph.query("""
        PREFIX dim: <http://data.openbudgets.eu/ontology/dsd/dimension/>
        PREFIX measure: <http://data.openbudgets.eu/ontology/dsd/measure/>
        SELECT ?code ?amount WHERE { ?line dim:functionalClassification ?code ; measure:amount ?amount . }""")
    amounts = {str(code).rsplit("/", 1)[-1]: str(amount) for code, amount in rows}
    assert amounts["2012901"] == "633400" and amounts["2210201"] == "130800"
    phases = set(graph.objects(None, _iri("http://data.openbudgets.eu/ontology/dsd/dimension/budgetPhase")))
    assert _iri("http://data.openbudgets.eu/resource/codelist/budget-phase/executed") in phases


def _iri(s):
    from rdflib import URIRef
    return URIRef(s)


def _nodes(expanded):
    stack = list(expanded)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            for v in node.values():
                stack.extend(v if isinstance(v, list) else [v])


def test_ontology_as_skos_in_jsonld_and_turtle(open_client):
    from rdflib import Graph, Namespace, URIRef
    SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
    fn = "https://fiscal-extract.dev/classification/function/"
    for accept, fmt in (("application/ld+json", "json-ld"), ("text/turtle", "turtle")):
        r = open_client.get("/v1/ontology", headers={"accept": accept})
        g = Graph().parse(data=r.text, format=fmt)
        assert (URIRef(fn + "2012901"), SKOS.broader, URIRef(fn + "20129")) in g
        assert (URIRef(fn + "201"), SKOS.closeMatch,
                URIRef("http://data.openbudgets.eu/resource/codelist/cofog-1999/01")) in g
        assert (URIRef("https://fiscal-extract.dev/concept/expenditure.basic"), SKOS.prefLabel, None) in g


# ------------------------------------------------------------------ operations
def test_health_readiness_metrics_and_request_id(open_client):
    import logging

    from service.observability import JsonFormatter
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(JsonFormatter().format(record))
    handler = Collect()
    logging.getLogger("fiscal_extract").addHandler(handler)
    assert open_client.get("/healthz").json()["status"] == "ok"
    ready = open_client.get("/readyz").json()
    assert ready["checks"] == {"lexicons": True, "store": True}
    r = open_client.post("/v1/extract", json={"text": SMALL}, headers={"x-request-id": "req-123"})
    assert r.headers["x-request-id"] == "req-123"
    assert len(open_client.get("/healthz").headers["x-request-id"]) == 32
    metrics = open_client.get("/metrics").text
    for name in ("fiscal_requests_total", "fiscal_request_seconds_bucket", "fiscal_extraction_seconds_count",
                 "fiscal_documents_total", "fiscal_findings_total"):
        assert name in metrics

    def healthz_count() -> float:
        line = next(line for line in open_client.get("/metrics").text.splitlines()
                    if line.startswith('fiscal_requests_total{method="GET",route="/healthz",status="200"}'))
        return float(line.split()[-1])
    before = healthz_count()
    for _ in range(3):
        open_client.get("/healthz")
    assert healthz_count() == before + 3
    logging.getLogger("fiscal_extract").removeHandler(handler)
    logged = [json.loads(line) for line in lines]
    assert any(e.get("request_id") == "req-123" and e["status"] == 200 and e["path"] == "/v1/extract" for e in logged)
