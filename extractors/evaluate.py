"""Scores one extraction against its gold file (``*.gold.json``, the format of corpus/GOLD-FORMAT.md).

Facts match by (concept, value, fiscal_year, phase); line items by their level, names, amount and
phase, and by their scope once the extractor gives one. A gold finding is caught when a finding of
its rule (or of the same family of rules) cites every figure the gold names; an alarm (a finding of
severity error or warning, absent checklist items aside) is true when it catches a gold finding,
optional ones included, and false otherwise.
"""
from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .checks import rules as check_rules
from .lexicon import name_key
from .pipeline import extract
from .normalize import simplified
from .quantities import find_quantities

CHANGE_FIELDS = ("amount", "rate", "direction", "compared_year")
ALARM_SEVERITIES = ("error", "warning")
NOT_ALARMS = ("missing_required_item",)     # an absent checklist item is a question, not an alarm
YEAR = re.compile(r"((?:19|20)\d\d)年度?")
_PINYIN_GLOSS = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]")     # 萬(wàn)元 as a mirror prints it


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

    def add(self, other: "Ratio") -> None:
        self.right += other.right
        self.total += other.total

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Alarm:
    """A finding of severity error or warning that no gold finding accounts for."""
    doc: str
    rule: str
    severity: str
    message: str


@dataclass
class Tally:
    """The scores of one document, or added up over a set."""
    facts: Score = field(default_factory=Score)
    line_items: Score = field(default_factory=Score)
    rates: Ratio = field(default_factory=Ratio)
    codes: Ratio = field(default_factory=Ratio)
    document: Ratio = field(default_factory=Ratio)
    findings: Ratio = field(default_factory=Ratio)       # gold findings caught
    alarms: Ratio = field(default_factory=Ratio)         # alarms that are true
    false_alarms: list[Alarm] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for name in ("facts", "line_items", "rates", "codes", "document", "findings", "alarms"):
            getattr(self, name).add(getattr(other, name))
        self.false_alarms.extend(other.false_alarms)


@dataclass
class DocReport(Tally):
    name: str = ""
    quantities: Score = field(default_factory=Score)
    scoped_line_items: bool = False                      # matched with their scope
    misses: list[str] = field(default_factory=list)

    @property
    def unexpected_errors(self) -> int:
        return sum(a.severity == "error" for a in self.false_alarms)

    @property
    def unexpected_warnings(self) -> int:
        return sum(a.severity == "warning" for a in self.false_alarms)


def default_phase(gold: dict) -> str:
    return "budgeted" if gold.get("document", {}).get("doc_type") == "budget" else "executed"


def fact_key(f: dict) -> tuple:
    return (f["concept"], f["value"], f.get("fiscal_year"), f.get("phase"))


def item_key(i: dict, scoped: bool = False) -> tuple:
    key = (i["level"], name_key(i.get("class") or ""), name_key(i.get("kind") or ""),
           name_key(i.get("item") or ""), _decimal_text(i["amount"]), i.get("phase"))
    return key + (i.get("scope"),) if scoped else key


def _decimal_text(value: str) -> str:
    """``"633400.00"`` and ``"633400"`` are one amount."""
    try:
        return format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return value


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


def _distinct(rows: list[dict], key) -> list[dict]:
    """One row per key; a required row wins over an optional one."""
    kept: dict[tuple, dict] = {}
    for r in rows:
        k = key(r)
        if k not in kept or (kept[k].get("optional") and not r.get("optional")):
            kept[k] = r
    return list(kept.values())


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


def evaluate_file(gold_path: Path, document: Path | None = None) -> DocReport:
    """Score the extraction of ``document`` (default: the gold's ``doc`` beside it)."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    doc_path = document or gold_path.parent / gold["doc"]
    result = extract(doc_path.read_bytes(), doc_path.name).to_dict()
    rep = score(gold, result)
    quantities = gold_path.with_name(gold_path.name.replace(".gold.json", ".quantities.gold.jsonl"))
    if quantities.exists():
        _quantities(quantities, result["quantities"], rep)
    return rep


def score(gold: dict, result: dict) -> DocReport:
    rep = DocReport(name=gold["doc"])
    for k, v in gold.get("document", {}).items():
        got = result["document"].get(k)
        if isinstance(v, dict) and isinstance(got, dict):
            got = {key: got.get(key) for key in v}      # the region's parts the gold gives
        ok = got == v
        rep.document.check(ok)
        if not ok:
            rep.misses.append(f"document.{k}: gold {v} got {result['document'].get(k)}")
    phase = default_phase(gold)
    gold_facts = [{"phase": phase, **g} for g in gold.get("facts", [])]
    rep.facts, fact_pairs = _match(gold_facts, result["facts"], fact_key, rep.misses, "fact")
    # matched with their scope when both sides give one (a prose page's gold states none)
    rep.scoped_line_items = (any(i.get("scope") for i in result["line_items"])
                             and any("scope" in g for g in gold.get("line_items", [])))
    key = functools.partial(item_key, scoped=rep.scoped_line_items)
    gold_items = _distinct([{"phase": phase, **g} for g in gold.get("line_items", [])], key)
    rep.line_items, item_pairs = _match(gold_items, _distinct(result["line_items"], key), key,
                                        rep.misses, "line item")
    _attributes(fact_pairs + item_pairs, rep.rates, rep.misses)
    for g, p in item_pairs:
        if g.get("function_code"):          # a gold code is one the document prints; null: it prints none
            ok = g["function_code"] == p["function_code"]
            rep.codes.check(ok)
            if not ok:
                rep.misses.append(f"code of {g.get('item') or g.get('kind') or g.get('class')}: "
                                  f"gold {g['function_code']} got {p['function_code']}")
    _findings(gold.get("findings", []), result, rep)
    return rep


# ---------------------------------------------------------------- findings
@functools.lru_cache(maxsize=1)
def _families() -> dict[str, str]:
    """Rule -> family: a gold rule is caught by any rule of its family."""
    out = {}
    for family, members in check_rules().get("rule_families", {}).items():
        for m in members:
            out[m] = family
    return out


def same_family(gold_rule: str, rule: str) -> bool:
    fam = _families()
    return gold_rule == rule or fam.get(gold_rule, gold_rule) == fam.get(rule, rule)


def figure_values(figures: list[str]) -> list[Decimal]:
    """The gold's figures as printed (``"13,907.78万元"``, ``"59.40%"``, ``"50萬元"``, ``"75800 元"``,
    ``"2020年度"``) as yuan, fractions, counts or years. A "figure" without a digit (the blank of a
    placeholder, ``"万元"``) names no number and is left out."""
    values = []
    for text in figures:
        plain = _PINYIN_GLOSS.sub("", re.sub(r"\s+", "", simplified(text)))
        if not any(ch.isdigit() for ch in plain):
            continue
        if plain.endswith(("万", "亿")):
            plain += "元"              # 1000.86万: the yuan is understood
        found = find_quantities(plain)
        year = YEAR.fullmatch(plain)
        if found:
            values.append(found[0].value)
        elif year:
            values.append(Decimal(year.group(1)))
        else:
            try:
                values.append(Decimal(plain.replace(",", "").lstrip("+-")))
            except InvalidOperation:
                raise ValueError(f"gold figure {text!r} is not a number") from None
    return values


def cited_values(finding: dict, result: dict) -> set[Decimal]:
    """The figures a finding cites: its expected and actual values, the quantities inside its
    evidence spans, and the facts and line items read at those spans."""
    values = set()
    for v in (finding.get("expected"), finding.get("actual")):
        try:
            values.add(Decimal(v))
        except (InvalidOperation, TypeError):
            pass
    spans = [(e["start"], e["end"]) for e in finding["evidence"] if "start" in e]
    if not spans:
        return values

    def inside(ev: dict) -> bool:
        return any(s <= ev["start"] and ev["end"] <= e for s, e in spans)
    for q in result["quantities"]:
        if inside(q):
            values.add(Decimal(q["value"]))
    for row in result["facts"] + result["line_items"]:
        if inside(row["evidence"]):
            values.add(Decimal(row.get("value") or row["amount"]))
            for slot in ("share", "budget_completion_rate"):
                if row.get(slot) is not None:
                    values.add(Decimal(row[slot]))
    return values


def catches(gold_finding: dict, finding: dict, cited: set[Decimal]) -> bool:
    if not same_family(gold_finding["rule"], finding["rule"]):
        return False
    return all(v in cited for v in figure_values(gold_finding.get("figures") or []))


def is_alarm(finding: dict) -> bool:
    return finding["severity"] in ALARM_SEVERITIES and finding["rule"] not in NOT_ALARMS


def _findings(gold: list[dict], result: dict, rep: DocReport) -> None:
    predicted = result["findings"]
    cited = [cited_values(f, result) for f in predicted]
    unnamed_used: set[int] = set()      # a gold finding that names no figures takes one finding of its rule
    for g in gold:
        if g.get("optional"):
            continue
        if g.get("figures"):
            ok = any(catches(g, f, c) for f, c in zip(predicted, cited))
        else:
            i = next((i for i, f in enumerate(predicted)
                      if i not in unnamed_used and same_family(g["rule"], f["rule"])), None)
            ok = i is not None
            unnamed_used.add(i)
        rep.findings.check(ok)
        if not ok:
            figures = ", ".join(g.get("figures") or []) or "no figures named"
            rep.misses.append(f"missed finding {g['rule']} [{figures}]: {g.get('about', '')}")
    for f, c in zip(predicted, cited):
        if not is_alarm(f):
            continue
        true = any(catches(g, f, c) for g in gold)
        rep.alarms.check(true)
        if not true:
            rep.false_alarms.append(Alarm(rep.name, f["rule"], f["severity"], f["message"]))


def _quantities(path: Path, predicted: list[dict], rep: DocReport) -> None:
    def key(q):
        return (q["start"], q["end"], q["kind"], q["value"], q["unit"], q["qualifier"])
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rep.quantities, _ = _match([{**g, "optional": False} for g in gold], predicted, key, rep.misses, "quantity")


def rule_counts(reports: list[DocReport]) -> Counter:
    return Counter(a.rule for r in reports for a in r.false_alarms)
