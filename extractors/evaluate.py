"""Scores extraction against gold files (``*.gold.json``, the format of shared/corpus)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .lexicon import name_key
from .pipeline import extract

CHANGE_FIELDS = ("amount", "rate", "direction", "compared_year")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Ratio:
    right: int = 0
    total: int = 0

    def check(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class DocReport:
    name: str
    facts: Score = field(default_factory=Score)
    line_items: Score = field(default_factory=Score)
    quantities: Score = field(default_factory=Score)
    rates: Ratio = field(default_factory=Ratio)
    codes: Ratio = field(default_factory=Ratio)
    document: Ratio = field(default_factory=Ratio)
    findings: Ratio = field(default_factory=Ratio)
    unexpected_errors: int = 0
    unexpected_warnings: int = 0
    misses: list[str] = field(default_factory=list)


def fact_key(f: dict) -> tuple:
    return (f["concept"], f["value"], f.get("fiscal_year"), f.get("phase"))


def item_key(i: dict) -> tuple:
    return (i["level"], name_key(i.get("class") or ""), name_key(i.get("kind") or ""),
            name_key(i.get("item") or ""), i["amount"])


def _match(gold: list[dict], predicted: list[dict], key, report_misses: list[str], what: str):
    """Pairs gold rows with predicted rows by key; optional gold rows are neither TP nor FN."""
    pool: dict[tuple, list[dict]] = {}
    for p in predicted:
        pool.setdefault(key(p), []).append(p)
    score, pairs = Score(), []
    for g in gold:
        candidates = pool.get(key(g))
        if candidates:
            pairs.append((g, candidates.pop(0)))
            score.tp += not g.get("optional")
        elif not g.get("optional"):
            score.fn += 1
            report_misses.append(f"missed {what} {key(g)}")
    for rest in pool.values():
        for p in rest:
            score.fp += 1
            report_misses.append(f"extra {what} {key(p)}")
    return score, pairs


def _attributes(pairs, ratio: Ratio, misses: list[str]) -> None:
    for g, p in pairs:
        for slot in ("share", "budget_completion_rate"):
            if slot in g:
                ok = g[slot] == p.get(slot)
                ratio.check(ok)
                if not ok:
                    misses.append(f"{slot} of {g.get('concept') or g.get('item')}: gold {g[slot]} got {p.get(slot)}")
        if g.get("change"):
            for k in CHANGE_FIELDS:
                if k in g["change"]:
                    ok = (p.get("change") or {}).get(k) == g["change"][k]
                    ratio.check(ok)
                    if not ok:
                        misses.append(f"change.{k} of {g.get('concept')}: gold {g['change'][k]} got {(p.get('change') or {}).get(k)}")


def evaluate_file(gold_path: Path) -> DocReport:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    doc_path = gold_path.parent / gold["doc"]
    result = extract(doc_path.read_bytes(), doc_path.name).to_dict()
    rep = DocReport(gold["doc"])
    for k, v in gold.get("document", {}).items():
        ok = result["document"].get(k) == v
        rep.document.check(ok)
        if not ok:
            rep.misses.append(f"document.{k}: gold {v} got {result['document'].get(k)}")
    default_phase = "budgeted" if gold.get("document", {}).get("doc_type") == "budget" else "executed"
    gold_facts = [{"phase": default_phase, **g} for g in gold.get("facts", [])]
    rep.facts, fact_pairs = _match(gold_facts, result["facts"], fact_key, rep.misses, "fact")
    rep.line_items, item_pairs = _match(gold.get("line_items", []), result["line_items"], item_key,
                                        rep.misses, "line item")
    _attributes(fact_pairs + item_pairs, rep.rates, rep.misses)
    for g, p in item_pairs:
        if "function_code" in g:
            ok = g["function_code"] == p["function_code"]
            rep.codes.check(ok)
            if not ok:
                rep.misses.append(f"code of {g['item']}: gold {g['function_code']} got {p['function_code']}")
    _findings(gold.get("findings", []), result["findings"], rep)
    qpath = gold_path.with_name(gold_path.name.replace(".gold.json", ".quantities.gold.jsonl"))
    if qpath.exists():
        _quantities(qpath, result["quantities"], rep)
    return rep


def _findings(gold: list[dict], predicted: list[dict], rep: DocReport) -> None:
    available = Counter(f["rule"] for f in predicted)
    for g in gold:
        if g.get("optional"):
            available[g["rule"]] -= 1
            continue
        ok = available[g["rule"]] > 0
        available[g["rule"]] -= 1
        rep.findings.check(ok)
        if not ok:
            rep.misses.append(f"missed finding {g['rule']}: {g.get('about', '')}")
    expected = Counter(g["rule"] for g in gold)
    for severity, slot in (("error", "unexpected_errors"), ("warning", "unexpected_warnings")):
        found = Counter(f["rule"] for f in predicted if f["severity"] == severity)
        setattr(rep, slot, sum(max(0, n - expected[rule]) for rule, n in found.items()))


def _quantities(path: Path, predicted: list[dict], rep: DocReport) -> None:
    def key(q):
        return (q["start"], q["end"], q["kind"], q["value"], q["unit"], q["qualifier"])
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rep.quantities, _ = _match([{**g, "optional": False} for g in gold], predicted, key, rep.misses, "quantity")


def evaluate_dir(directory: Path) -> list[DocReport]:
    return [evaluate_file(p) for p in sorted(Path(directory).glob("*.gold.json"))]


def format_report(reports: list[DocReport], verbose: bool = False) -> str:
    lines = []
    total = DocReport("ALL")
    for r in reports:
        lines.append(_row(r))
        if verbose:
            lines.extend(f"    {m}" for m in r.misses)
        for name in ("facts", "line_items", "quantities"):
            getattr(total, name).add(getattr(r, name))
        for name in ("rates", "codes", "document", "findings"):
            t, x = getattr(total, name), getattr(r, name)
            t.right += x.right
            t.total += x.total
        total.unexpected_errors += r.unexpected_errors
        total.unexpected_warnings += r.unexpected_warnings
    lines.append(_row(total))
    return "\n".join(lines)


def _row(r: DocReport) -> str:
    q = f" quantities P={r.quantities.precision:.2f} R={r.quantities.recall:.2f}" if r.quantities.tp + r.quantities.fn else ""
    return (f"{r.name}: facts P={r.facts.precision:.2f} R={r.facts.recall:.2f} F1={r.facts.f1:.2f} | "
            f"line items P={r.line_items.precision:.2f} R={r.line_items.recall:.2f} F1={r.line_items.f1:.2f} | "
            f"rates {r.rates.right}/{r.rates.total} codes {r.codes.right}/{r.codes.total} "
            f"document {r.document.right}/{r.document.total} | findings recall {r.findings.value:.2f} "
            f"unexpected errors {r.unexpected_errors} warnings {r.unexpected_warnings}{q}")
