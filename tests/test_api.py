"""The HTTP API: the contract JSON, coded problem+json errors, never a 500 for a bad document."""
import codecs

import pytest
from fastapi.testclient import TestClient

from service.app import create_app

from .conftest import CORPUS


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def test_extract_json_returns_the_contract(client, sample_text, validator):
    r = client.post("/v1/extract", json={"text": sample_text, "filename": "a.txt", "source_url": "http://x/a"})
    assert r.status_code == 200
    body = r.json()
    assert list(validator.iter_errors(body)) == []
    assert body["document"]["department"] == "盐边县总工会"
    assert body["document"]["source"]["url"] == "http://x/a"
    assert any(f["concept"] == "expenditure.basic" and f["value"] == "1858800" for f in body["facts"])


def test_cli_and_api_give_the_same_json(client, sample_text):
    from extractors import extract
    api = client.post("/v1/extract", files={"file": ("a.txt", sample_text.encode("utf-8"), "text/plain")}).json()
    lib = extract(sample_text.encode("utf-8"), "a.txt").to_dict()
    assert api == __import__("orjson").loads(__import__("orjson").dumps(lib))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_multipart_text_in_each_encoding(client, sample_text, encoding):
    data = sample_text.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE)
    r = client.post("/v1/extract", files={"file": ("a.txt", data, "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json()["document"]["text"] == sample_text


@pytest.mark.parametrize("kwargs,status,code", [
    ({"json": {"text": ""}}, 422, "E001"),
    ({"json": {"text": "   \n "}}, 422, "E001"),
    ({"json": {"nottext": "x"}}, 400, "E005"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "E005"),
    ({"files": {"file": ("a.txt", b"", "text/plain")}}, 422, "E001"),
    ({"files": {"file": ("a.txt", b"\xff\xfe\xfa\x00\x81\x00\xfe" * 50 + b"\x00\x00", "text/plain")}}, 422, "E002"),
    ({"files": {"file": ("a.pdf", b"%PDF-1.4 broken", "application/pdf")}}, 422, "E006"),
    ({"files": {"file": ("a.zip", b"PK\x03\x04 damaged", "application/zip")}}, 422, "E006"),
    ({"files": {"file": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")}}, 415, "E003"),
    ({"content": b"x", "headers": {"content-type": "application/octet-stream"}}, 415, "E003"),
    ({"files": {"other": ("a.txt", b"x", "text/plain")}}, 400, "E005"),
])
def test_bad_requests_get_coded_problems(client, kwargs, status, code):
    r = client.post("/v1/extract", **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["title"] and body["detail"]


def test_oversized_body_is_refused_before_reading(client, monkeypatch):
    from service.settings import get_settings
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 10)
    r = client.post("/v1/extract", json={"text": "2021年本年收入合计270万元"})
    assert r.status_code == 413 and r.json()["code"] == "E004"


def test_tokens_on_request(client):
    r = client.post("/v1/extract?tokens=true", json={"text": "2021年本年支出合计270万元"})
    toks = r.json()["tokens"]
    assert {"text": "本年支出合计", "start": 5, "end": 11, "concept": "expenditure_total"} in toks


def test_text_can_be_left_out(client):
    r = client.post("/v1/extract?include_text=false", json={"text": "2021年本年支出合计270万元"})
    assert "text" not in r.json()["document"]


@pytest.mark.parametrize("query,tokens,has_text", [
    ("", False, True), ("?tokens=true", True, True), ("?tokens=1&include_text=0", True, False),
    ("?include_text=FALSE", False, False), ("?include_text=off&tokens=no", False, False),
    ("?tokens=yes&include_text=on", True, True),
])
def test_query_flags_take_the_spellings_of_a_bool(client, query, tokens, has_text):
    r = client.post("/v1/extract" + query, json={"text": "2021年本年支出合计270万元"})
    assert r.status_code == 200
    assert ("tokens" in r.json()) is tokens and ("text" in r.json()["document"]) is has_text


@pytest.mark.parametrize("path", ["/v1/extract?tokens=maybe", "/v1/validate?include_text=2", "/v1/extract?include_text="])
def test_a_flag_that_is_not_true_or_false_is_a_coded_error(client, path):
    r = client.post(path, json={"text": "2021年本年支出合计270万元"})
    assert r.status_code == 400 and r.json()["code"] == "E005" and "is not true or false" in r.json()["detail"]


def test_healthz_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/extract"]["post"]["requestBody"]["content"]
    assert "application/json" in body and "multipart/form-data" in body
    assert client.get("/docs").status_code == 200


def test_every_reference_of_the_openapi_document_resolves_in_it(client):
    """A "$ref" that points outside the document (a model's own "#/$defs/…") breaks ReDoc and
    every client generator that reads it."""
    spec = client.get("/openapi.json").json()

    def refs(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)
    found = set(refs(spec))
    assert found and all(r.startswith("#/") for r in found)
    for ref in found:
        target = spec
        for part in ref[2:].split("/"):
            assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
            target = target[part]
    html = {path: client.get(path).text for path in ("/docs", "/redoc")}
    assert all("https://" not in page and "http://" not in page for page in html.values())   # no CDN


@pytest.mark.parametrize("method,path,scope", [
    ("post", "/v1/extract", "extract"), ("post", "/v1/validate", "extract"), ("post", "/v1/crawls", "admin"),
    ("get", "/v1/documents/{sha256}", "extract"), ("get", "/healthz", None), ("get", "/v1/ontology", None),
])
def test_openapi_declares_the_bearer_key_where_one_is_needed(client, method, path, scope):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operation = spec["paths"][path][method]
    assert "authorization" not in [p["name"].lower() for p in operation.get("parameters", [])]
    if scope is None:
        assert "security" not in operation
    else:
        assert operation["security"] == [{"bearer": []}] and f"scope: {scope}" in operation["description"]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>2021年收入合计1万元", "\u202e\u0000\ud7ff收入", "𠀀" * 100,
                                  "１２３４５６７８９０" * 50, "年" * 5000])
def test_odd_input_never_500(client, text):
    r = client.post("/v1/extract", json={"text": text})
    assert r.status_code in (200, 422)


def test_validate_returns_findings_and_checklist_only(client, sample_text):
    r = client.post("/v1/validate", json={"text": sample_text})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"schema_version", "document", "findings", "disclosure_checklist"}
    assert "text" not in body["document"]
    rules = sorted(f["rule"] for f in body["findings"] if f["severity"] == "error")
    assert rules == ["change_rate_mismatch", "conflicting_values", "conflicting_values", "conflicting_values"]
    assert all(c["present"] for c in body["disclosure_checklist"])


def test_validate_errors_are_coded_too(client):
    r = client.post("/v1/validate", json={"text": ""})
    assert r.status_code == 422 and r.json()["code"] == "E001"
