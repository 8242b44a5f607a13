"""Every corpus document: offsets, contract validity, and the evaluation floor."""
import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.evaluate import evaluate_file

from .conftest import CORPUS

CORPUS_DOCS = sorted(CORPUS / json.loads(g.read_text(encoding="utf-8"))["doc"] for g in CORPUS.glob("*.gold.json"))


@pytest.fixture(scope="module", params=CORPUS_DOCS, ids=[p.name for p in CORPUS_DOCS])
def result(request):
    return extract(request.param.read_bytes(), request.param.name).to_dict()


def _evidences(result):
    for q in result["quantities"]:
        yield q
    for row in result["facts"] + result["line_items"]:
        yield row["evidence"]
        for m in row.get("mentions", []):
            yield m
        if row["change"] and row["change"]["evidence"]:
            yield row["change"]["evidence"]
    for ind in result["indicators"]:
        yield ind["evidence"]
        yield ind["quantity"]
    for f in result["findings"]:
        yield from f["evidence"]
    for c in result["disclosure_checklist"]:
        if c["evidence"]:
            yield c["evidence"]


def test_every_evidence_points_into_the_original_text(result):
    text = result["document"]["text"]
    spans = list(_evidences(result))
    assert spans
    for ev in spans:
        assert text[ev["start"]:ev["end"]] == ev["text"]


def test_result_follows_the_contract_schema(result, validator):
    errors = sorted(validator.iter_errors(result), key=str)
    assert errors == []


def test_sections_are_nested_spans(result):
    text = result["document"]["text"]
    for s in result["document"]["sections"]:
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert text[s["start"]:].startswith(s["heading"][:4])


def test_table_evidence_points_at_its_cell(result):
    tables = result["document"]["tables"]
    for row in result["facts"] + result["line_items"]:
        ev = row["evidence"]
        if "table" in ev:
            cell = tables[ev["table"]]["rows"][ev["row"]][ev["col"]]
            assert ev["text"].endswith(cell)


def test_sample_document_scores_full_marks():
    rep = evaluate_file(CORPUS / "yanbian-union-2021-final-accounts.gold.json")
    assert rep.facts.f1 == 1.0, rep.misses
    assert rep.line_items.f1 == 1.0, rep.misses
    assert rep.rates.value == 1.0 and rep.codes.value == 1.0, rep.misses
    assert rep.quantities.f1 == 1.0 and rep.quantities.tp == 201, rep.misses


@pytest.mark.parametrize("gold", sorted(CORPUS.glob("*.gold.json")), ids=lambda p: p.stem)
def test_each_corpus_document_generalizes(gold):
    rep = evaluate_file(gold)
    assert rep.facts.f1 >= 0.95, rep.misses
    assert rep.line_items.f1 >= 0.95, rep.misses
    assert rep.document.value == 1.0, rep.misses


def test_corpus_has_at_least_five_documents_with_gold():
    assert len(list(CORPUS.glob("*.gold.json"))) >= 5
    for gold in CORPUS.glob("*.gold.json"):
        assert (CORPUS / json.loads(gold.read_text(encoding="utf-8"))["doc"]).exists()


def test_corpus_covers_every_format():
    suffixes = {p.suffix for p in CORPUS_DOCS}
    assert {".txt", ".pdf", ".docx", ".xlsx", ".xls", ".html"} <= suffixes
