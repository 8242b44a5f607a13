"""schemathesis against the live OpenAPI schema: no 5xx, and every response fits its schema."""
import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                              response_schema_conformance, status_code_conformance)
from schemathesis.checks import not_a_server_error

from service.app import create_app
from service.settings import Settings

# a store of its own outside the checkout, new each run (the crawls it starts write to it too)
DB = Path(tempfile.mkdtemp(prefix="fuzz-")) / "fuzz.db"
atexit.register(shutil.rmtree, DB.parent, True)
app = create_app(Settings(database_url=f"sqlite:///{DB}", rate_limit_per_minute=100000, log_json=False,
                          crawl_log_dir=str(DB.parent / "crawls")))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def running_app():
    from fastapi.testclient import TestClient
    with TestClient(app):          # start the lifespan (store, extraction pool) once
        yield


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, status_code_conformance,
                                   content_type_conformance], excluded_checks=[negative_data_rejection])
