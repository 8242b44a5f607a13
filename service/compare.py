"""Two stored results side by side: a department's year N beside year N−1, or its 预算 beside its
决算 of the same year. Each document speaks for its own year: its figures of that year, in the
phase its type states (决算: executed, 预算: budgeted), one per concept and one per class; a 决算's
年初预算 figures are set beside the 预算 document's, where the two should agree."""
from __future__ import annotations

from decimal import Decimal

from .exports import DOC_TYPES, PHASES

_OWN_PHASE = {"final_accounts": "executed", "budget": "budgeted"}


def compare(a: dict, b: dict) -> dict:
    """Rows of (label, a's value, b's value, a − b, (a − b) / b, differs) for every concept and
    class either states; ``b`` is the document compared against."""
    da, db = a["document"], b["document"]
    same_year = da.get("fiscal_year") == db.get("fiscal_year")
    # a 决算 beside its 预算 of the same year: the 决算's budget figures are the ones to agree
    phase_a = "budgeted" if same_year and {da.get("doc_type"), db.get("doc_type")} == {"budget", "final_accounts"} \
        else _OWN_PHASE.get(da.get("doc_type"))
    phase_b = "budgeted" if phase_a == "budgeted" and same_year else _OWN_PHASE.get(db.get("doc_type"))
    fa, fb = _figures(a, phase_a), _figures(b, phase_b)
    rows = []
    for key in list(dict.fromkeys([*fa, *fb])):
        x, y = fa.get(key), fb.get(key)
        rows.append(_row(key, x, y))
    return {"a": _side(a, phase_a), "b": _side(b, phase_b), "rows": rows,
            "differences": sum(r["differs"] for r in rows)}


def _side(result: dict, phase: str | None) -> dict:
    doc = result["document"]
    return {"sha256": doc["sha256"], "department": doc.get("department"), "fiscal_year": doc.get("fiscal_year"),
            "doc_type": doc.get("doc_type"), "doc_type_label": DOC_TYPES.get(doc.get("doc_type")),
            "phase": phase, "phase_label": PHASES.get(phase)}


def _figures(result: dict, phase: str | None) -> dict:
    """(kind, key) -> (label, value, unit, evidence) of the document's own year and phase, the
    first stated of each."""
    year = result["document"].get("fiscal_year")
    out: dict = {}
    for f in result["facts"]:
        if f.get("fiscal_year") == year and (phase is None or f["phase"] == phase):
            out.setdefault(("fact", f["concept"]), (f["label"], f["value"], f["unit"], f["evidence"]))
    for i in result["line_items"]:
        if i["level"] == "class" and i.get("fiscal_year") == year and (phase is None or i["phase"] == phase):
            out.setdefault(("class", i["class"]), (i["class"], i["amount"], "CNY", i["evidence"]))
    return out


def _row(key, x, y) -> dict:
    label = (x or y)[0]
    va, vb = (Decimal(x[1]) if x else None), (Decimal(y[1]) if y else None)
    diff = va - vb if va is not None and vb is not None else None
    rate = (diff / vb).quantize(Decimal("0.0001")) if diff is not None and vb else None
    return {"kind": key[0], "key": key[1], "label": label, "unit": (x or y)[2],
            "a": None if va is None else str(x[1]), "b": None if vb is None else str(y[1]),
            "difference": None if diff is None else format(diff, "f"),
            "rate": None if rate is None else format(rate, "f"),
            "differs": va is None or vb is None or va != vb,
            "a_page": (x[3].get("page") if x else None), "b_page": (y[3].get("page") if y else None)}
