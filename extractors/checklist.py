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


def checklist(text: str, doc_type: str) -> list[dict]:
    """Each required item, present when one of its patterns occurs (a nil statement counts)."""
    if doc_type not in ("final_accounts", "budget"):
        return []
    out = []
    for item, label, pattern in _items():
        m = pattern.search(text)
        out.append({"item": item, "label": label, "present": m is not None,
                    "evidence": {"start": m.start(), "end": m.end()} if m else None})
    return out
