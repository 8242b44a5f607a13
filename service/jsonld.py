"""JSON-LD views of the result, aligned with public-finance vocabularies.

- OpenBudgets.eu (``obeu``): amounts as ``obeu-measure:amount``, ``fiscalYear``, ``budgetPhase``,
  ``functionalClassification``, ``operationCharacter`` dimensions;
- the Fiscal Data Package: ``direction`` (expenditure/revenue) and ``phase``;
- SKOS for the concept list and the functional classification (``/v1/ontology``).
"""
from __future__ import annotations

import functools

from extractors.lexicon import get_lexicon

NS = "https://fiscal-extract.dev/ns#"
FN = "https://fiscal-extract.dev/classification/function/"
CONCEPT = "https://fiscal-extract.dev/concept/"
COFOG = "http://data.openbudgets.eu/resource/codelist/cofog-1999/"
PHASES = "http://data.openbudgets.eu/resource/codelist/budget-phase/"
OPERATION = "http://data.openbudgets.eu/resource/codelist/operation-character/"

CONTEXT = {
    "@context": {
        "@version": 1.1,
        "@vocab": NS,
        "obeu": "http://data.openbudgets.eu/ontology/",
        "obeu-dimension": "http://data.openbudgets.eu/ontology/dsd/dimension/",
        "obeu-measure": "http://data.openbudgets.eu/ontology/dsd/measure/",
        "fdp": "https://specs.frictionlessdata.io/fiscal-data-package/#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "value": {"@id": "obeu-measure:amount", "@type": "xsd:decimal"},
        "amount": {"@id": "obeu-measure:amount", "@type": "xsd:decimal"},
        "fiscal_year": {"@id": "obeu-dimension:fiscalYear", "@type": "xsd:gYear"},
        "phase": {"@id": "obeu-dimension:budgetPhase", "@type": "@vocab",
                  "@context": {"executed": PHASES + "executed", "budgeted": PHASES + "approved",
                               "adjusted": PHASES + "revised"}},
        "fdp_phase": {"@id": "fdp:phase"},
        "direction": {"@id": "fdp:direction"},
        "operation_character": {"@id": "obeu-dimension:operationCharacter", "@type": "@vocab",
                                "@context": {"@vocab": OPERATION}},
        "function_code": {"@id": "obeu-dimension:functionalClassification", "@type": "@vocab",
                          "@context": {"@vocab": FN}},
        "cofog": {"@id": "skos:closeMatch", "@type": "@vocab", "@context": {"@vocab": COFOG}},
        "concept": {"@id": "skos:related", "@type": "@vocab", "@context": {"@vocab": CONCEPT}},
        "label": {"@id": "skos:prefLabel", "@language": "zh"},
        "facts": {"@id": NS + "fact", "@container": "@set"},
        "line_items": {"@id": NS + "lineItem", "@container": "@set"},
        "quantities": {"@id": NS + "quantity", "@container": "@set"},
        "findings": {"@id": NS + "finding", "@container": "@set"},
        "evidence": {"@id": NS + "evidence"},
        "mentions": {"@id": NS + "mention", "@container": "@set"},
        "statement": {"@id": NS + "statement"},
        "scope": {"@id": NS + "scope"},
        "basis": {"@id": NS + "basis"},
    }
}
_REVENUE = ("revenue", "total_revenue_expenditure", "carryover")


def to_jsonld(result: dict, context_url: str) -> dict:
    """The result as JSON-LD: the same fields, typed nodes with IRIs, and the @context by URL."""
    sha = result["document"]["sha256"]
    doc = {"@context": context_url, "@id": f"urn:sha256:{sha}", "@type": "Extraction", **result}
    doc["facts"] = [_fact(f, sha, i) for i, f in enumerate(result["facts"])]
    doc["line_items"] = [_line(li, sha, i) for i, li in enumerate(result["line_items"])]
    return doc


def _fact(f: dict, sha: str, i: int) -> dict:
    revenue = f["concept"].startswith(_REVENUE)
    out = {"@id": f"urn:sha256:{sha}#fact-{i}", "@type": ["Fact", "obeu:BudgetItem"], **f,
           "direction": "revenue" if revenue else "expenditure",
           "operation_character": "revenue" if revenue else "expenditure",
           "fdp_phase": {"executed": "executed", "budgeted": "approved", "adjusted": "adjusted"}[f["phase"]]}
    if f["unit"] != "CNY":          # staffing counts are not money
        out["count"] = out.pop("value")
    return out


def _line(li: dict, sha: str, i: int) -> dict:
    out = {"@id": f"urn:sha256:{sha}#line-{i}", "@type": ["LineItem", "obeu:BudgetItem"], **li,
           "direction": "expenditure", "operation_character": "expenditure"}
    if out.get("function_code") is None:
        out.pop("function_code", None)
    if out.get("cofog") is None:
        out.pop("cofog", None)
    return out


@functools.lru_cache(maxsize=1)
def ontology() -> dict:
    """The concept list and the functional classification as a SKOS concept scheme."""
    lex = get_lexicon()
    graph = [{"@id": CONCEPT, "@type": "skos:ConceptScheme", "skos:prefLabel": "fiscal-extract concepts"},
             {"@id": FN, "@type": "skos:ConceptScheme", "skos:prefLabel": {"@value": "支出功能分类科目", "@language": "zh"}}]
    for c in lex.concepts.values():
        graph.append({"@id": CONCEPT + c.id, "@type": "skos:Concept", "skos:inScheme": {"@id": CONCEPT},
                      "skos:notation": c.id, "skos:prefLabel": {"@value": c.label, "@language": "zh"},
                      "skos:altLabel": [{"@value": a, "@language": "zh"} for a in c.aliases]})
    for row in lex.classification.by_code.values():
        node = {"@id": FN + row.code, "@type": "skos:Concept", "skos:inScheme": {"@id": FN},
                "skos:notation": row.code, "skos:prefLabel": {"@value": row.name, "@language": "zh"},
                "skos:editorialNote": row.evidence}
        if row.parent:
            node["skos:broader"] = {"@id": FN + row.parent}
        else:
            node["skos:topConceptOf"] = {"@id": FN}
        if row.cofog:
            node["skos:closeMatch"] = {"@id": COFOG + row.cofog}
        graph.append(node)
    return {"@context": {"skos": "http://www.w3.org/2004/02/skos/core#"}, "@graph": graph}


@functools.lru_cache(maxsize=1)
def ontology_turtle() -> str:
    import json

    from rdflib import Graph
    g = Graph()
    g.parse(data=json.dumps(ontology()), format="json-ld")
    g.bind("skos", "http://www.w3.org/2004/02/skos/core#")
    g.bind("fn", FN)
    g.bind("cofog", COFOG)
    return g.serialize(format="turtle")
