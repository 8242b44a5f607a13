"""schemathesis over every route of a service with keys: once as an admin key, once as an
extract-only key. No 5xx; every response fits its schema; and whatever one key's request made (a
batch, a stored document) is not readable by another extract-only key."""
import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                              response_schema_conformance, status_code_conformance)

from service.app import create_app
from service.auth import new_key
from service.settings import Settings


DB = Path(tempfile.mkdtemp(prefix="fuzz-keys-")) / "fuzz-keys.db"       # outside the checkout, new each run
atexit.register(shutil.rmtree, DB.parent, True)
app = create_app(Settings(database_url=f"sqlite:///{DB}", rate_limit_per_minute=100000, log_json=False,
                          crawl_max_running=0))           # a fuzzed POST /v1/crawls is refused, not run
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
KEYS: dict[str, str] = {}
CLIENT: list[TestClient] = []
CHECKED: list[str] = []         # the requests whose product was tried with the other key


@pytest.fixture(scope="module", autouse=True)
def running_app():
    with TestClient(app) as client:
        store = app.state.store
        KEYS.update(admin=new_key(store, "admin", ["admin", "extract"]), one=new_key(store, "one", ["extract"]),
                    other=new_key(store, "other", ["extract"]))
        app.state.key_cache.checked = 0
        CLIENT.append(client)
        yield client


def not_readable_by_another_key(response, case):
    """A batch or a document made by this request: the other extract-only key gets 404 for it."""
    if response.status_code not in (200, 202) or case.method != "POST":
        return None
    body = response.json() if "json" in response.headers.get("content-type", "") else {}
    client, other = CLIENT[0], {"authorization": f"Bearer {KEYS['other']}"}
    CHECKED.append(case.path)
    if case.path == "/v1/batches" and "id" in body:
        assert client.get(f"/v1/batches/{body['id']}", headers=other).status_code == 404
        assert client.get(f"/v1/batches/{body['id']}/results", headers=other).status_code == 404
    if case.path == "/v1/extract" and "document" in body:
        sha = body["document"]["sha256"]
        assert client.get(f"/v1/documents/{sha}", headers=other).status_code == 404
        listed = client.get("/v1/documents?limit=500", headers=other).json()["items"]
        assert sha not in {i["sha256"] for i in listed}


@pytest.mark.parametrize("who", ["admin", "one"])
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract_with_keys(case, who):
    case.headers = {**(case.headers or {}), "authorization": f"Bearer {KEYS[who]}"}
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                             status_code_conformance, content_type_conformance],
                           excluded_checks=[negative_data_rejection])
    not_readable_by_another_key(response, case)



def test_the_cross_key_check_ran():
    """The fuzzing above made batches and stored documents, and each was tried with the other key."""
    assert {"/v1/batches", "/v1/extract"} <= set(CHECKED)
