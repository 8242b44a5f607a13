"""What was checked: each rule of the catalogue (lexicons/rules.yaml) with its status for one
document — failed, passed, not applicable (the figures it checks are not stated) or skipped (they
are, but cannot be read with certainty for this rule) — so that "no problem found" says what was
looked at. Takes the finished result's parts; returns the result's ``checks``."""
from __future__ import annotations

import functools
from collections import Counter

import yaml

from .lexicon import LEXICON_DIR

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@functools.lru_cache(maxsize=1)
def catalogue() -> list[dict]:
    with open(LEXICON_DIR / "rules.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["rules"]


def rule_status(document: dict, facts: list[dict], items: list[dict], findings: list[dict],
                checklist: list[dict], has_contents: bool) -> list[dict]:
    present = _inputs(document, facts, items, checklist, has_contents)
    known = {"document_type": document.get("doc_type", "unknown") != "unknown",
             "fiscal_year": document.get("fiscal_year") is not None}
    raised = Counter(f["rule"] for f in findings)
    worst = {}
    for f in findings:
        if f["rule"] not in worst or _SEVERITY_RANK[f["severity"]] < _SEVERITY_RANK[worst[f["rule"]]]:
            worst[f["rule"]] = f["severity"]
    out = []
    for rule in catalogue():
        row = {"rule": rule["id"], "label": rule["label"], "checks": rule["checks"], "findings": raised[rule["id"]]}
        if raised[rule["id"]]:
            row.update(status="failed", severity=worst[rule["id"]])
        elif not present[rule["needs"]]:
            row.update(status="not_applicable", reason=rule.get("absent"))
        elif rule.get("skip_unless") and not known[rule["skip_unless"]]:
            row.update(status="skipped", reason=rule["skip"])
        else:
            row["status"] = "passed"
        out.append(row)
    return out


def _inputs(document: dict, facts: list[dict], items: list[dict], checklist: list[dict], has_contents: bool) -> dict:
    from .checks import rules
    spec = rules()
    concepts = {f["concept"] for f in facts}
    rows = facts + items
    in_tables = {f["evidence"].get("table") for f in rows if "table" in f["evidence"]}
    in_prose = any("table" not in f["evidence"] for f in rows)
    return {
        "totals_with_parts": _has_sum(spec["sums"], concepts) or (
            any(i["level"] == "class" for i in items)
            and bool(concepts & {"expenditure_total", "appropriation.general_budget_expenditure", "appropriation.total"})),
        "balance_figures": any(b["total"] in concepts and b["flow"] in concepts for b in spec["balances"]),
        "shares": any(r.get("share") for r in rows),
        "changes": any(r.get("change") for r in rows),
        "completion_rates": any(r.get("budget_completion_rate") for r in rows),
        "line_completion_rates": sum(bool(i.get("budget_completion_rate")) for i in items) >= 2,
        "facts": bool(facts),
        "text_and_tables": bool(in_tables) and in_prose,
        "two_tables": len(in_tables) >= 2,
        "line_items": bool(items),
        "coded_line_items": any(i.get("function_code") and i["evidence"].get("table") is not None for i in items),
        "checklist": bool(checklist),
        "contents": has_contents,
        "text": True,
    }


def _has_sum(sums: list[dict], concepts: set[str]) -> bool:
    return any(set(s["total"]) & concepts and set(s["parts"]) & concepts for s in sums)
