"""Which items a 部门决算/部门预算 disclosure must publish, and whether this one does."""
from __future__ import annotations

import functools
import re

from .lexicon import LEXICON_DIR
import yaml


@functools.lru_cache(maxsize=1)
def _items():
    with open(LEXICON_DIR / "checklist.yaml", encoding="utf-8") as f:
        items = yaml.safe_load(f)
    return [(i["item"], i["label"], re.compile("|".join(i["patterns"]))) for i in items]


_CORE = ("total_revenue_expenditure", "revenue_total", "expenditure_total", "expenditure.basic",
         "appropriation.total", "appropriation.general_budget_expenditure")


def scope(doc_type: str, facts: list[dict]) -> str:
    """What the disclosure sets out to cover: a full 决算/预算, a 三公-only statement, or neither."""
    if doc_type not in ("final_accounts", "budget"):
        return "none"
    concepts = {f["concept"] for f in facts}
    if not concepts & set(_CORE) and any(c.startswith("three_public") for c in concepts):
        return "three_public"
    return "full"


def checklist(text: str, doc_type: str, facts: list[dict]) -> list[dict]:
    """Each required item, present when one of its patterns occurs (a nil statement counts).

    Items outside the document's scope (all but 三公 in a 三公-only statement) are marked
    ``applicable: false`` rather than missing.
    """
    covered = scope(doc_type, facts)
    if covered == "none":
        return []
    out = []
    for item, label, pattern in _items():
        m = pattern.search(text)
        applicable = covered == "full" or item == "three_public_expenses"
        out.append({"item": item, "label": label, "present": m is not None, "applicable": applicable,
                    "evidence": {"start": m.start(), "end": m.end()} if m else None})
    return out
