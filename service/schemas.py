"""Request and response models of the HTTP API (kept apart from the library's result)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from pydantic import BaseModel, Field

from extractors.errors import Errors

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "contract-v1.schema.json"


class ExtractRequest(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "text": "盐边县总工会2021年度部门决算\n2021年本年收入合计270万元，本年支出合计270万元，其中：基本支出185.88万元，"
                "项目支出84.12万元。“三公”经费财政拨款支出决算为3.5万元，比上年减少0.5万元，下降12.5%。",
        "filename": "盐边县总工会2021年部门决算.txt",
        "source_url": "http://www.scyanbian.gov.cn/zwgk/czxx/czyjs/index.shtml"}]}}

    text: str = Field(description="the disclosure's text")
    filename: str | None = Field(None, description="its file name: says the format of an upload, and is kept")
    source_url: str | None = Field(None, description="where it was published: kept in document.source.url")


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str = Field(description="one of: " + ", ".join(f"{e.code} {e.title}" for e in Errors.all()))
    detail: str
    instance: str | None = None


@functools.lru_cache(maxsize=1)
def contract_schema() -> dict:
    """The contract's JSON Schema, with $defs inlined under OpenAPI-friendly refs."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    text = json.dumps(schema).replace("#/$defs/", "#/components/schemas/Contract")
    schema = json.loads(text)
    return schema


def _defs() -> dict:
    return {f"Contract{k}": v for k, v in contract_schema().get("$defs", {}).items()}


def _result_schema() -> dict:
    s = {k: v for k, v in contract_schema().items() if k not in ("$schema", "$id", "$defs", "title")}
    return s


RESULT_RESPONSE = {200: {"description": "the v1 contract JSON (application/ld+json when asked)",
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContractResult"}},
                                     "application/ld+json": {}}}}
_VALIDATE_KEYS = ("schema_version", "document", "findings", "disclosure_checklist")
VALIDATE_RESPONSE = {200: {"description": "document, findings and disclosure checklist",
                           "content": {"application/json": {"schema": {
                               "type": "object", "required": list(_VALIDATE_KEYS),
                               "properties": {k: contract_schema()["properties"][k] for k in _VALIDATE_KEYS}}},
                               "application/ld+json": {}}}}

PROBLEM_RESPONSES = {
    status: {"model": Problem, "content": {"application/problem+json": {}},
             "description": "; ".join(f"{e.code} {e.title}" for e in Errors.all() if e.status == status)}
    for status in sorted({e.status for e in Errors.all()})
}


def add_contract_components(openapi: dict) -> dict:
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components["ContractResult"] = _result_schema()
    components.update(_defs())
    return openapi
