"""Findings: pure functions over the interpreted result. Each rule is one function.

Tolerances come from the stated precision of the inputs: a figure written with two decimals
in 万元 may be off by half of 0.01万元, so only a gap beyond the summed rounding is an error.
Plausibility guards come first: a check runs on facts whose concept and unit are certain (no
inferred unit), and where a concept was stated with several values, a check passes when any
of them balances, so one misread figure cannot raise a second alarm.

Facts and line items reach these functions as the contract's dicts plus private keys:
``_ulp`` (half the last stated digit, in yuan), ``_share_ulp``, ``_share_base``, ``_parent``.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
from bisect import bisect_left
from collections import defaultdict
from decimal import Decimal

import yaml

from .lexicon import LEXICON_DIR
from .numerals import to_str

ZERO = Decimal(0)


@functools.lru_cache(maxsize=1)
def rules() -> dict:
    with open(LEXICON_DIR / "checks.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=16384)
def half_ulp(text: str, scale: Decimal) -> Decimal:
    """Half of the last stated digit of a figure, in yuan (``185.88`` in 万元 -> 50)."""
    number = "".join(ch for ch in text.replace(",", "") if ch.isdigit() or ch == ".")
    if number and Decimal(number) == 0:
        return ZERO      # a stated nil (0万元) is exact, not "less than half a 万"
    decimals = len(number.split(".", 1)[1]) if "." in number else 0
    return Decimal(1).scaleb(-decimals) / 2 * scale


@functools.lru_cache(maxsize=4096)
def pct_ulp(text: str) -> Decimal:
    """One unit of the last stated digit of a percentage, as a fraction (18.8% -> 0.001)."""
    return half_ulp(text, Decimal(1)) * 2 / 100


def rate_agrees(expected: Decimal, stated: Decimal, ulp: Decimal, inputs: Decimal, adjusted: bool = False) -> bool:
    """Whether a computed rate agrees with the stated one. A stated rate may be rounded (half a
    digit either way) or truncated (up to a whole digit below the true value); a share in a list
    may also have been adjusted by a digit so that the list sums to 100%. ``inputs`` is what the
    rounding of the amounts can move the computed rate."""
    below = ulp if adjusted else ulp / 2
    return -(below + inputs) <= expected - stated <= ulp + inputs


def wan(value) -> str:
    """An amount of yuan in 万元 as a message writes it, with thousands separators (1,094.42)."""
    return thousands(to_str(Decimal(value) / 10000))


def thousands(number: str) -> str:
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    whole, dot, fraction = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}" if whole.isdigit() else number


def pct(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(Decimal('0.01'))}%"


ALL_DOUBTS = ("year_unknown", "phase_guessed", "ocr", "header_implied")
DIGIT_DOUBTS = ("ocr",)     # a check within one figure (its own change, its own code) needs no year or phase


def _finding(rule: str, severity: str, message: str, expected, actual, evidence: list[dict],
             inputs=(), doubt_kinds=ALL_DOUBTS, **extra) -> dict:
    """A finding over the figures ``inputs``. Where the reading of one of them is in doubt (its year
    not stated, its phase a guess, its digits from OCR: the kinds that matter to this check) the
    finding is at most a warning and says why."""
    doubts = _doubts(inputs, doubt_kinds)
    if doubts:
        # a warning already (a part perhaps not listed) and in doubt besides: a note, not an alarm
        severity = {"error": "warning", "warning": "info"}.get(severity, severity)
        message += f"（读数存疑：{'；'.join(doubts)}。）"
        extra["uncertain"] = doubts
    return {"rule": rule, "severity": severity, "message": message,
            "expected": None if expected is None else str(expected),
            "actual": None if actual is None else str(actual),
            "evidence": [e for e in evidence if e], **extra}


def identify(findings: list[dict]) -> None:
    """Each finding's ``id``: a hash of its rule and its evidence's spans, the same for the same
    document and extractor version, so that a person's review of it is found again. Two findings
    of one rule on the same spans (a check that reports two gaps over the same figures) are told
    apart by their order."""
    seen: dict[str, int] = {}
    for f in findings:
        spans = ";".join(f"{e.get('start')}-{e.get('end')}" for e in f["evidence"])
        digest = hashlib.sha256(f"{f['rule']}|{f.get('check', '')}|{spans}".encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        f["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def grade_minor(findings: list[dict]) -> list[dict]:
    """An error whose figures differ by less than checks.yaml's ``minor_discrepancy`` is a warning:
    the arithmetic proves a slip, but one too small to weigh like a wrong figure."""
    spec = rules()["minor_discrepancy"]
    limits = {**{r: Decimal(spec["rate"]) for r in spec["rate_rules"]},
              **{r: Decimal(spec["amount"]) for r in spec["amount_rules"]}}
    for f in findings:
        limit = limits.get(f["rule"])
        money = f.pop("_unit", "CNY") == "CNY"       # 8人 against 4人 is no small discrepancy
        if f["severity"] != "error" or limit is None or (f["rule"] in spec["amount_rules"] and not money):
            continue
        try:
            gap = abs(Decimal(f["expected"]) - Decimal(f["actual"]))
        except (TypeError, ArithmeticError):
            continue
        if gap < limit:
            f["severity"] = "warning"
            f["message"] += ("（差异不足0.1个百分点）" if f["rule"] in spec["rate_rules"] else "（差异不足0.01万元）")
    return findings


def _doubts(rows, kinds) -> list[str]:
    wording = rules()["doubts"]
    out = []
    for row in rows:
        for code in (row or {}).get("_doubts", ()):
            if code not in kinds:
                continue
            text = wording[code].format(name=_name(row))
            if text not in out:
                out.append(text)
    return out


def _name(row: dict) -> str:
    return row.get("label") or row.get("item") or row.get("kind") or row.get("class") or row.get("concept", "")


def year_text(year) -> str:
    """``2021年``, or 年度不明的 for a figure whose year the document does not state."""
    return f"{year}年" if year is not None else "年度不明的"


def certain(row: dict) -> bool:
    """A figure whose unit was stated or declared (单位：万元), not guessed from the document."""
    return not row.get("unit_inferred") or row.get("unit_declared", False)


class FactIndex:
    """Certain facts by (concept, fiscal year, phase): only those with a stated unit."""

    def __init__(self, facts: list[dict]):
        self.by_key: dict[tuple, list[dict]] = defaultdict(list)
        for f in facts:
            if certain(f):
                self.by_key[(f["concept"], f["fiscal_year"], f["phase"])].append(f)

    def get(self, concept: str, year, phase) -> list[dict]:
        return self.by_key.get((concept, year, phase), [])

    def periods(self):
        return sorted({(y, p) for (_, y, p) in self.by_key}, key=str)


# ---------------------------------------------------------------- conflicting / duplicate
def conflicting_values(facts: list[dict], labels: dict[str, str]) -> list[dict]:
    groups = defaultdict(list)
    for f in facts:
        if f.get("_part"):          # a part named like its whole (其中:退休5097人) is not the whole again
            continue
        wording = f.get("_term") if f["concept"] in rules().get("conflict_same_wording", ()) else None
        groups[(f["concept"], f["fiscal_year"], f["phase"], f.get("_fund"), wording, f.get("_category"))].append(f)
    out = []
    for (concept, year, phase, *_), stated in groups.items():
        if len(stated) < 2 or len({f["value"] for f in stated}) < 2:
            continue             # stated once, or always with one value
        for group in _same_scope(stated):
            finding = _conflict(group, concept, year, labels)
            if finding:
                out.append(finding)
    return out


def _same_scope(group: list[dict]) -> list[list[dict]]:
    """The figures that can be compared: those of one scope. Of a concept stated in tables of two
    scopes (支出表 and 财政拨款支出表), a figure whose scope is unknown could be either and is
    compared with neither."""
    scopes = defaultdict(list)
    for f in group:
        scopes[f.get("scope")].append(f)
    known = [s for s in scopes if s is not None]
    if len(known) <= 1:
        return [group]
    return [scopes[s] for s in known]


def _conflict(group: list[dict], concept: str, year, labels: dict[str, str]) -> dict | None:
    if len({f["value"] for f in group}) < 2 or _all_within_rounding(group):
        return None
    unbalanced = _sides_apart(group)
    if unbalanced:
        return unbalanced
    shown = "、".join(_show(f["value"], f["unit"]) + _where(f) for f in group)
    return _finding(
        _conflict_rule(group), "error",
        f"{year_text(year)}“{labels.get(concept, concept)}”在文中出现了不同的数值：{shown}，请核对哪一个是正确的。",
        group[0]["value"], group[1]["value"], [f["evidence"] for f in group], inputs=group, concept=concept,
        _unit=group[0]["unit"])


def _sides_apart(group: list[dict]) -> dict | None:
    """收入总计 and 支出总计 stated with different values: not a figure stated twice but a total
    that does not balance (the two sides of 收支总计 are equal by construction)."""
    revenue = [f for f in group if f.get("_side") == "revenue"]
    spending = [f for f in group if f.get("_side") == "expenditure"]
    if not revenue or not spending or len(revenue) + len(spending) != len(group):
        return None
    if not (_all_within_rounding(revenue) and _all_within_rounding(spending)):
        return None
    r, e = revenue[0], spending[0]
    gap = Decimal(r["value"]) - Decimal(e["value"])
    return _finding(
        "balance_mismatch", "error",
        f"{year_text(r['fiscal_year'])}收入总计{wan(r['value'])}万元与支出总计{wan(e['value'])}万元不相等"
        f"（相差{wan(abs(gap))}万元），收、支总计应当相等，请核对。",
        r["value"], e["value"], [r["evidence"], e["evidence"]], inputs=(r, e), check="sides")


def row_formula_mismatches(rows: list[tuple[dict, dict, dict]]) -> list[dict]:
    """A table row's 合计 against its 基本支出 + 项目支出."""
    out = []
    for total, basic, project in rows:
        t, parts = Decimal(total["amount"]), Decimal(basic["amount"]) + Decimal(project["amount"])
        if abs(t - parts) <= total["_ulp"] + basic["_ulp"] + project["_ulp"]:
            continue
        where = _where(total)
        out.append(_finding(
            "sum_mismatch", "error",
            f"{year_text(total['fiscal_year'])}“{total['name']}”{where}一行：基本支出{wan(basic['amount'])}万元"
            f"＋项目支出{wan(project['amount'])}万元＝{wan(parts)}万元，与合计{wan(t)}万元不符（相差{wan(abs(t - parts))}万元），请核对。",
            to_str(parts), total["amount"], [total["evidence"], basic["evidence"], project["evidence"]],
            inputs=(total, basic, project), check="row_formula"))
    return grade_minor(out)


def restated_line_items(restated: list[tuple[dict, dict, dict]]) -> list[dict]:
    """A line's heading figure and the sentence of its entry that states it again for the same year
    and phase (“…（项）”220.63万元…2023年预算安排441.25万元) with another value."""
    out = []
    for head, again, entry in restated:
        a, b = Decimal(head["amount"]), Decimal(again["amount"])
        if abs(a - b) < head.get("_ulp", ZERO) + again.get("_ulp", ZERO):
            continue
        out.append(_finding(
            "conflicting_values", "error",
            f"{year_text(head['fiscal_year'])}科目“{line_label(head)}”在同一段说明中前后金额不一：先写{wan(a)}万元"
            f"{_where(head)}，后文又写{wan(b)}万元{_where(again)}，请核对哪一个是正确的。",
            head["amount"], again["amount"], [head["evidence"], again["evidence"], entry],
            inputs=(head, again)))
    return out


def duplicate_line_items(duplicates: list[tuple[dict, dict]]) -> list[dict]:
    out = []
    for first, again in duplicates:
        name = first["item"] or first["kind"] or first["class"]
        out.append(_finding(
            "duplicate_line_item", "warning",
            f"科目“{name}”（{wan(first['amount'])}万元）重复列示了两次，请核对是否误列或漏列了其他科目。",
            "1", "2", [first["evidence"], again["evidence"]],
            inputs=(first, again), doubt_kinds=DIGIT_DOUBTS))
    return out


# ---------------------------------------------------------------- sums and balances
def _within(total: Decimal, parts: Decimal, tol: Decimal) -> bool:
    return abs(total - parts) <= tol


def _combos(groups: list[list[dict]], limit: int = 64):
    """Every choice of one stated value per concept (bounded)."""
    return itertools.islice(itertools.product(*groups), limit)


def sum_mismatches(index: FactIndex, labels: dict[str, str], unread=(), text: str = "") -> list[dict]:
    """Each sum rule in each period. ``unread``: (offset, concept) of terms whose amount was not
    read; a missing part named near the figures makes the sum unknown, not wrong. ``text``: the
    document, where a part the concept list does not hold (单位预留机动经费) may be named."""
    out = []
    for rule in rules()["sums"]:
        unlisted = any(word in text for word in rule.get("unlisted_parts", ()))
        for year, phase in index.periods():
            finding = _check_sum(rule, index, year, phase, labels)
            if finding is None or _part_named_unread(finding, _missing_parts(rule, index, year, phase), unread):
                continue
            short = Decimal(finding["expected"]) > Decimal(finding["actual"])
            if short and unlisted:
                continue      # short by a part the document names and the concept list does not hold
            if short and _amount_among_parts(finding, unread):
                # the list goes on with amounts no concept holds (其他交通费用2846万元): the shortfall
                # may be those parts, so it is a note, not an alarm
                _as_note(finding, "（所列组成部分之外，文中同一处还列有其他金额，差额可能即为这些部分。）")
            out.append(finding)
    return out


def one_scope(figures) -> bool:
    """Figures that can stand in one sum: some scope is common to all of them (a figure of
    unknown scope goes with any). A fact stated in tables of several scopes has them all."""
    common = None
    for f in figures:
        scopes = f.get("_scopes") or {f.get("scope")}
        if None in scopes:
            continue
        common = set(scopes) if common is None else common & scopes
        if not common:
            return False
    return True


def _check_sum(rule: dict, index: FactIndex, year, phase, labels) -> dict | None:
    totals = next((index.get(c, year, phase) for c in rule["total"] if index.get(c, year, phase)), [])
    if not totals:
        return None
    part_groups, missing = [], []
    for concept in rule["parts"]:
        stated = index.get(concept, year, phase)
        if not stated and concept in rule.get("substitute", {}):
            halves = [index.get(c, year, phase) for c in rule["substitute"][concept]]
            stated = [_combine(h) for h in itertools.product(*[h or [None] for h in halves]) if any(h)]
        if stated:
            part_groups.append(stated)
        else:
            missing.append(concept)
        if concept in rule.get("substitute", {}) and not index.get(concept, year, phase):
            # a part stood for by its halves, one of them not stated: the part is not known whole
            missing += [c for c in rule["substitute"][concept] if not index.get(c, year, phase) and stated]
    if len(part_groups) < 2 and not (part_groups and not missing):
        return None
    if missing and all(Decimal(p["value"]) == 0 for g in part_groups for p in g):
        return None       # only nil parts were read: the ones that carry the total are unknown
    best = None
    for total in totals:
        for parts in _combos(part_groups):
            if not one_scope((total, *parts)):
                continue          # 基本支出 of the 收支总表 is no part of the 财政拨款 total
            got = sum(Decimal(p["value"]) for p in parts)
            tol = total["_ulp"] + sum(p["_ulp"] for p in parts)
            gap = Decimal(total["value"]) - got
            if abs(gap) <= tol:
                return None
            if best is None or abs(gap) < abs(best[2]):
                best = (total, parts, gap, got)
    if best is None:
        return None
    total, parts, gap, got = best
    under = gap > 0
    if under and (missing or not rule["exhaustive"]):
        severity, hint = "warning", "可能有未列示的组成部分，"
    else:
        severity, hint = "error", ""
    stated = [h for p in parts for h in p.get("_halves", [p])]      # a part two halves stand for, by its halves
    names = " + ".join(f"{_label_of(p['concept'], labels)}{wan(p['value'])}" for p in stated)
    return _finding(
        "sum_mismatch", severity,
        f"{year_text(year)}{rule['label']}不成立：{names} = {wan(got)}万元，而“{labels.get(total['concept'], total['concept'])}”为"
        f"{wan(total['value'])}万元，相差{wan(abs(gap))}万元。{hint}请核对各项数字。",
        total["value"], to_str(got), [total["evidence"]] + [p["evidence"] for p in stated],
        inputs=(total, *stated), check=rule["id"])


def _label_of(concept: str, labels) -> str:
    """A concept's label; two halves standing for one part are named together (a+b)."""
    return "与".join(labels.get(c, c) for c in concept.split("+"))


def _missing_parts(rule: dict, index: FactIndex, year, phase) -> set[str]:
    missing = set()
    for concept in rule["parts"]:
        halves = rule.get("substitute", {}).get(concept, [])
        if not index.get(concept, year, phase) and not any(index.get(c, year, phase) for c in halves):
            missing |= {concept, *halves}
    return missing


def _part_named_unread(finding: dict, missing: set[str], unread) -> bool:
    """A missing part's term stands near the figures without its amount, or an amount that is no
    figure stands among them (财政专户拨款47.5万元 in a list of revenues): the sum is not known.
    ``unread`` is sorted by offset."""
    spans = [(e["start"], e["end"]) for e in finding["evidence"] if "table" not in e]
    if not spans or not missing:
        return False
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    k = bisect_left(unread, (first - 100,))
    while k < len(unread) and unread[k][0] <= last + 100:
        pos, concept = unread[k]
        if concept in missing or (concept is None and first < pos < last + 40):
            return True
        k += 1
    return False


def _as_note(finding: dict, why: str) -> None:
    """A finding that parts not read may explain: a note (info) that says so, not an alarm."""
    finding["severity"] = "info"
    finding["message"] += why


def _amount_among_parts(finding: dict, unread) -> bool:
    """An amount that is no figure stands among the parts or right beside them (…公务用车运行维护费
    7922万元,其他交通工具购置144万元,其他交通费用2846万元; a class whose name the text lost before
    1154610.5 元、社会保障和就业支出…): the whole has parts that were not read. ``unread`` is sorted by
    offset."""
    spans = [(e["start"], e["end"]) for e in finding["evidence"][1:] if "table" not in e]
    if not spans:
        return False
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    k = bisect_left(unread, (first - 40,))
    while k < len(unread) and unread[k][0] <= last + 40:
        if unread[k][1] is None:
            return True
        k += 1
    return False


def _combine(halves) -> dict:
    present = [h for h in halves if h]
    return {"concept": present[0]["concept"] if len(present) == 1 else "+".join(h["concept"] for h in present),
            "value": to_str(sum(Decimal(h["value"]) for h in present)),
            "_ulp": sum(h["_ulp"] for h in present), "evidence": present[0]["evidence"], "_halves": present}


def line_item_sums(items: list[dict], index: FactIndex, labels: dict[str, str], unread=()) -> list[dict]:
    """Class rows = 一般公共预算财政拨款支出; item (or kind) rows of a class = that class."""
    out = []
    by_period = defaultdict(list)
    for it in items:
        if certain(it) and not it.get("_restated"):
            by_period[(it["fiscal_year"], it["phase"], it.get("scope"))].append(it)
    for (year, phase, scope), rows in by_period.items():
        classes = {r["class"]: r for r in rows if r["level"] == "class"}
        # the totals the classes of a scope's table add up to (checks.yaml class_totals)
        concepts = rules()["class_totals"].get(scope or "unknown", ())
        totals = index.get(concepts[0], year, phase) if concepts else []
        if len(classes) >= 2 and totals:
            got = sum(Decimal(c["amount"]) for c in classes.values())
            tol_parts = sum(c["_ulp"] for c in classes.values())
            if not any(_within(Decimal(t["value"]), got, t["_ulp"] + tol_parts)
                       for concept in concepts for t in index.get(concept, year, phase)):
                t = totals[0]
                finding = _finding(
                    "sum_mismatch", "error",
                    f"{year_text(year)}各“类”支出之和为{wan(got)}万元，与{t['label']}{wan(t['value'])}万元不一致，请核对。",
                    t["value"], to_str(got), [t["evidence"]] + [c["evidence"] for c in classes.values()],
                    inputs=(t, *classes.values()), check="classes_total")
                if got < Decimal(t["value"]) and _amount_among_parts(finding, unread):
                    # a class stands there that was not read
                    _as_note(finding, "（所列各类之外，文中同一处还列有其他金额，差额可能即为未读出的类。）")
                out.append(finding)
        for parent_level, child_level in (("class", "kind"), ("class", "item"), ("kind", "item")):
            out.extend(_children_sum(rows, parent_level, child_level, year))
    return out


def _children_sum(rows, parent_level, child_level, year) -> list[dict]:
    out = []
    parents = [r for r in rows if r["level"] == parent_level]
    for parent in parents:
        key = "class" if parent_level == "class" else "kind"
        children = [r for r in rows if r["level"] == child_level and r[key] == parent[key]
                    and (parent_level == "kind" or r["class"] == parent["class"])]
        if any("table" in c["evidence"] for c in children):
            # a table lists every line; prose repeats some of them, perhaps under another name
            children = [c for c in children if "table" in c["evidence"]]
        if parent_level == "class" and child_level == "item" and any(
                r["level"] == "kind" and r["class"] == parent["class"] for r in rows):
            continue   # the kind rows are checked against the class instead
        if not children:
            continue
        got = sum(Decimal(c["amount"]) for c in children)
        tol = parent["_ulp"] + sum(c["_ulp"] for c in children)
        if _within(Decimal(parent["amount"]), got, tol):
            continue
        name = parent["kind"] if parent_level == "kind" else parent["class"]
        severity = "error" if got > Decimal(parent["amount"]) else "warning"
        out.append(_finding(
            "sum_mismatch", severity,
            f"{year_text(year)}“{name}”下各{'项' if child_level == 'item' else '款'}之和为{wan(got)}万元，与该{'类' if parent_level == 'class' else '款'}"
            f"{wan(parent['amount'])}万元不一致{'（可能有未列示的科目）' if severity == 'warning' else ''}，请核对。",
            parent["amount"], to_str(got), [parent["evidence"]] + [c["evidence"] for c in children],
            inputs=(parent, *children), check=f"{child_level}_rows_of_{parent_level}"))
    return out


def balance_mismatches(index: FactIndex) -> list[dict]:
    out = []
    for rule in rules()["balances"]:
        for year, phase in index.periods():
            totals = index.get(rule["total"], year, phase)
            flows = index.get(rule["flow"], year, phase)
            if not totals or not flows:
                continue
            carry = index.get(rule["carryover"], year, phase)
            out.extend(_balance(rule, totals, flows, carry, year))
    return out


def _balance(rule, totals, flows, carry, year) -> list[dict]:
    best = None
    for t, f in itertools.product(totals, flows):
        for c in (carry or [None]):
            got = Decimal(f["value"]) + (Decimal(c["value"]) if c else ZERO)
            tol = t["_ulp"] + f["_ulp"] + (c["_ulp"] if c else ZERO)
            gap = Decimal(t["value"]) - got
            if abs(gap) <= tol and (c or gap == 0):
                return []
            if best is None or abs(gap) < abs(best[3]):
                best = (t, f, c, gap)
    t, f, c, gap = best
    if c is None:
        if gap < 0:
            return [_finding("balance_mismatch", "error",
                             f"{year_text(year)}收支总计{wan(t['value'])}万元小于{rule['label'].split(' + ')[0]}{wan(f['value'])}万元，请核对。",
                             t["value"], f["value"], [t["evidence"], f["evidence"]], inputs=(t, f), check=rule["id"])]
        return [_finding("balance_mismatch", "info",
                         f"文中未列示{year_text(year)}{rule['carryover_label']}；按收支总计{wan(t['value'])}万元推算应为{wan(gap)}万元。",
                         to_str(gap), None, [t["evidence"], f["evidence"]], inputs=(t, f), check=rule["id"], implied=True)]
    return [_finding("balance_mismatch", "error",
                     f"{year_text(year)}{rule['label']}不成立：{wan(f['value'])} + {wan(c['value'])} = {wan(Decimal(f['value']) + Decimal(c['value']))}万元，"
                     f"收支总计为{wan(t['value'])}万元，请核对。",
                     t["value"], to_str(Decimal(f["value"]) + Decimal(c["value"])),
                     [t["evidence"], f["evidence"], c["evidence"]], inputs=(t, f, c), check=rule["id"])]


# ---------------------------------------------------------------- shares and rates
def share_mismatches(rows: list[dict], index: FactIndex, labels: dict[str, str]) -> list[dict]:
    out = []
    for row in rows:
        if row.get("share") is None or not certain(row):
            continue
        value = Decimal(row.get("value") or row.get("amount"))
        bases = _share_bases(row, index)
        if not bases:
            continue
        share = Decimal(row["share"])
        checks = []
        for base_value, base_ulp, base_ev in bases:
            if base_value <= 0:
                continue
            expected = value / base_value
            inputs = row["_ulp"] / base_value + value * base_ulp / (base_value * base_value)
            checks.append((rate_agrees(expected, share, row["_share_ulp"], inputs, adjusted=True),
                           expected, base_value, base_ev))
        if not checks or any(ok for ok, *_ in checks):
            continue
        _, expected, base_value, base_ev = min(checks, key=lambda c: abs(c[1] - share))
        name = labels.get(row.get("concept"), None) or row.get("item") or row.get("kind") or row.get("class")
        out.append(_finding(
            "share_mismatch", "error",
            f"“{name}”{wan(value)}万元占{wan(base_value)}万元的比例应为{pct(expected)}，文中写的是{pct(share)}。",
            to_str(expected.quantize(Decimal("0.0001"))), row["share"], [row["evidence"], base_ev], inputs=(row,)))
    return out


def _share_bases(row: dict, index: FactIndex) -> list[tuple[Decimal, Decimal, dict]]:
    """What a share is of: the figure its words name (占收入预算总额的…), else the total its 其中 list
    breaks down, else the usual base of its concept."""
    named = row.get("_share_base")
    if named:
        found = _stated_bases(index, named, row)
        if found or not row.get("_parent"):
            return found
    if row.get("_parent"):
        return [row["_parent"]]
    concept = _default_base(row)
    return _stated_bases(index, concept, row) if concept else []


def _stated_bases(index: FactIndex, concept: str, row: dict) -> list[tuple[Decimal, Decimal, dict]]:
    return [(Decimal(f["value"]), f["_ulp"], f["evidence"]) for f in index.get(concept, row["fiscal_year"], row["phase"])]


def _default_base(row: dict) -> str | None:
    key = row.get("concept") or f"line_item.{row['level']}"
    for prefix, base in rules()["share_bases"].items():
        if key.startswith(prefix) and key != base:
            return base
    return None


def changes_of(row: dict) -> list[tuple[dict, tuple | None]]:
    """A row's changes (``change``, then ``other_changes``), each with its stated precisions."""
    out = [(row["change"], row.get("_change_ulp"))] if row.get("change") else []
    ulps = row.get("_other_change_ulps") or []
    for i, ch in enumerate(row.get("other_changes") or ()):
        out.append((ch, ulps[i] if i < len(ulps) else None))
    return out


def change_rate_mismatches(rows: list[dict]) -> list[dict]:
    """A stated growth rate against change / (current − change)."""
    out: dict[tuple, dict] = {}
    for row in rows:
        if not certain(row):
            continue
        for ch, ulps in changes_of(row):
            _change_rate_mismatch(row, ch, ulps, out)
    return list(out.values())


def _change_rate_mismatch(row: dict, ch: dict, ulps, out: dict) -> None:
    if ch["amount"] is None or ch["rate"] is None or ch["direction"] not in ("increase", "decrease") or ulps is None:
        return
    value, amount, rate = Decimal(row.get("value") or row["amount"]), Decimal(ch["amount"]), Decimal(ch["rate"])
    prior = value - amount if ch["direction"] == "increase" else value + amount
    if prior <= 0:
        return
    expected = amount / prior
    amount_ulp, rate_ulp = ulps
    inputs = amount_ulp / prior + amount * (row["_ulp"] + amount_ulp) / (prior * prior)
    if rate_agrees(expected, rate, rate_ulp, inputs):
        return
    key = (value, amount, rate, ch["direction"])
    if key in out:   # the same wrong rate stated again for another total: one finding
        out[key]["evidence"] += [row["evidence"], ch["evidence"]]
        return
    label = row.get("label") or row.get("item") or row.get("class")
    base = "预算" if ch["compared_phase"] == "budgeted" and ch["compared_year"] == row.get("fiscal_year") else "上年"
    out[key] = _finding(
        "change_rate_mismatch", "error",
        f"“{label}”{'增加' if ch['direction'] == 'increase' else '减少'}{wan(amount)}万元，"
        f"按{base}{wan(prior)}万元计算变动率应为{pct(expected)}，文中写的是{pct(rate)}。",
        to_str(expected.quantize(Decimal("0.0001"))), ch["rate"], [row["evidence"], ch["evidence"]],
        inputs=(row,), doubt_kinds=DIGIT_DOUBTS)


def impossible_changes(rows: list[dict], labels: dict[str, str]) -> list[dict]:
    """An increase larger than the figure it led to (支出预算0万元，比2022年预算增加1421.25万元): the
    prior figure would be negative, which no amount of money spent or budgeted can be."""
    out = []
    for row in rows:
        if not certain(row):
            continue
        value = Decimal(row.get("value") or row["amount"])
        for ch, _ in changes_of(row):
            if ch["direction"] != "increase" or ch["amount"] is None:
                continue
            amount = Decimal(ch["amount"])
            if amount <= value + 2 * row["_ulp"]:
                continue
            name = labels.get(row["concept"], row["concept"]) if "concept" in row else line_label(row)
            out.append(_finding(
                "impossible_change", "error",
                f"“{name}”{year_text(row['fiscal_year'])}为{wan(value)}万元，文中却写比{year_text(ch['compared_year'])}"
                f"增加{wan(amount)}万元：照此{year_text(ch['compared_year'])}应为{wan(value - amount)}万元，不可能，"
                f"请核对增加额或金额。",
                to_str(value), ch["amount"], [row["evidence"]] + ([ch["evidence"]] if ch.get("evidence") else []),
                inputs=(row,), doubt_kinds=DIGIT_DOUBTS))
    return out


def reasons_against_changes(rows: list[dict]) -> list[dict]:
    """A one-clause reason that names the opposite direction of the change it explains (减少2.98%。
    主要原因是：宣传事务一般行政管理事务经费增加): a template sentence left unedited."""
    verbs = _reason_verbs()
    out = []
    for row in rows:
        ch = row.get("change")
        if not ch or not ch.get("reason") or ch["direction"] not in ("increase", "decrease") or "_reason_ev" not in row:
            continue
        m = verbs.search(ch["reason"])
        if m is None:
            continue
        said = _VERB_DIRECTION()[m.group("verb")]
        if said == ch["direction"]:
            continue
        name = line_label(row) if "concept" not in row else row.get("label") or row["concept"]
        stated = "增加" if ch["direction"] == "increase" else "减少"
        out.append(_finding(
            "wording_mismatch", "warning",
            f"“{name}”{wan(row.get('value') or row['amount'])}万元{_where(row)}写的是{stated}，"
            f"但所述原因“{''.join(ch['reason'].split())}”说的是{m.group('verb')}，请核对。",
            ch["direction"], said, [row["_reason_ev"]], inputs=(row,), doubt_kinds=DIGIT_DOUBTS))
    return out


@functools.lru_cache(maxsize=1)
def _VERB_DIRECTION() -> dict[str, str]:
    from .lexicon import get_lexicon
    verbs = get_lexicon().context["change_verbs"]
    return {v: d for d in ("increase", "decrease") for v in verbs[d]}


@functools.lru_cache(maxsize=1)
def _reason_verbs():
    """A reason of one clause (after its opener) that ends in a change verb; checks.yaml
    reason_direction says what may not stand in it (a contrast: 但, 同时 …)."""
    import re
    from .lexicon import alternation, get_lexicon
    c = rules()["reason_direction"]
    opener = "|".join(get_lexicon().context["reason_openers"])
    words = alternation(_VERB_DIRECTION())
    return re.compile(rf"^\s*(?:{opener})?[:：]?\s*(?![^。]*(?:{c['contrast']}))[^，,；;、。]{{1,{c['max_chars']}}}?"
                      rf"(?:{c['subjects']})(?P<verb>{words})[。.]?\s*$")


def empty_table_notes(notes: list[tuple[int, dict, str]], rows: list[dict], findings: list[dict]) -> list[dict]:
    """A table whose note says it is empty (注:本部门2024年无“三公”经费…，故本表为空表) but which prints
    amounts other than 0: one finding naming the note and the table's figures. A conflict between
    a figure the note seems to state (无… as 0) and the table's is this same finding, so it goes."""
    out, spans = [], []
    for table, note, name in notes:
        spans.append((note["start"], note["end"]))
        shown = [r for r in rows if Decimal(r.get("value") or r["amount"]) != 0
                 and any(m.get("table") == table for m in r.get("mentions", [r["evidence"]]))]
        if not shown:
            continue
        statement = next((r.get("statement") or {} for r in shown if (r.get("statement") or {}).get("name")), {})
        name = statement.get("label") or statement.get("name") or name
        figures = "、".join(f"{_show(r.get('value') or r['amount'], r.get('unit', 'CNY'))}"
                           f"（{r.get('label') or line_label(r)}）" for r in shown[:6])
        out.append(_finding(
            "text_table_mismatch", "warning",
            f"表“{name}”下注明“{note['text'].strip()}”，但表中列有{figures}，表与注说明相互矛盾，请核对。",
            None, None, [note] + [_table_mention(r, table) for r in shown], inputs=shown))
    kept = [f for f in findings if f["rule"] not in rules()["rule_families"]["conflict"]
            or not any(s <= e.get("start", -1) < e_ for e in f["evidence"] for s, e_ in spans)]
    return kept + out


def _table_mention(row: dict, table: int) -> dict:
    return next(m for m in row.get("mentions", [row["evidence"]]) if m.get("table") == table)


def rate_against_compared(facts: list[dict], index: FactIndex, labels: dict[str, str]) -> list[dict]:
    """A change stated by its rate alone (比上年下降3%, a 增减% row) against the figure it compares
    with, when the document states that figure once."""
    out = []
    for f in facts:
        ch = f.get("change")
        if not _rate_alone(f, ch):
            continue
        bases = {b["value"]: b for b in index.get(f["concept"], ch["compared_year"], ch["compared_phase"])}
        if len(bases) == 1:
            found = _stated_rate(f, next(iter(bases.values())), ch, labels.get(f["concept"], f["concept"]))
            out += [found] if found else []
    return out


def line_rate_against_compared(items: list[dict]) -> list[dict]:
    """A line item's change stated by its rate alone (2022年当年预算执行数为11.67万元，2023年预算安排
    45.41万元，比2022年预算执行数增加314.82%) against the same line's figure of the compared year and
    phase in the same scope, when the document states that figure once."""
    by_line = defaultdict(list)
    for it in items:
        if certain(it):
            by_line[_line_of(it) + (it["fiscal_year"], it["phase"])].append(it)
    out = []
    for it in items:
        ch = it.get("change")
        if not _rate_alone(it, ch):
            continue
        bases = {b["amount"]: b for b in by_line.get(_line_of(it) + (ch["compared_year"], ch["compared_phase"]), ())}
        if len(bases) == 1:
            found = _stated_rate(it, next(iter(bases.values())), ch, line_label(it))
            out += [found] if found else []
    return out


def _rate_alone(row: dict, ch: dict | None) -> bool:
    return bool(ch) and ch["amount"] is None and ch["rate"] is not None and "_rate_ulp" in row and certain(row)


def _line_of(it: dict) -> tuple:
    return it["level"], it["class"], it["kind"], it["item"], it.get("scope")


def line_label(it: dict) -> str:
    return it.get("item") or it.get("kind") or it.get("class") or ""


def _stated_rate(f: dict, base: dict, ch: dict, name: str) -> dict | None:
    """The finding when ``f``'s stated rate of change disagrees with (f − base) / base."""
    value, prior = Decimal(f.get("value") or f["amount"]), Decimal(base.get("value") or base["amount"])
    if prior <= 0:
        return None
    expected = (value - prior) / prior
    stated = Decimal(ch["rate"]) * (-1 if ch["direction"] == "decrease" else 1 if ch["direction"] == "increase" else 0)
    inputs = f["_ulp"] / prior + value * base["_ulp"] / (prior * prior)
    if ch["direction"] in ("increase", "decrease") and (expected > 0) == (stated > 0) and \
            rate_agrees(abs(expected), abs(stated), f["_rate_ulp"], inputs):
        return None
    if ch["direction"] == "flat" and abs(expected) <= f["_rate_ulp"] + inputs:
        return None
    return _finding(
        "change_rate_mismatch", "error",
        f"“{name}”{year_text(f['fiscal_year'])}{wan(value)}万元比{year_text(ch['compared_year'])}{wan(prior)}万元"
        f"{'增长' if expected >= 0 else '下降'}{pct(abs(expected))}，文中写的是{pct(Decimal(ch['rate']))}。",
        to_str(abs(expected).quantize(Decimal("0.0001"))), ch["rate"],
        [f["evidence"], base["evidence"]] + ([ch["evidence"]] if ch.get("evidence") else []),
        inputs=(f, base), doubt_kinds=DIGIT_DOUBTS)


def completion_rate_mismatches(facts: list[dict], index: FactIndex, labels) -> list[dict]:
    """决算 / 完成率 is the budget the rate implies; it must agree with a stated budget."""
    out = []
    for f in facts:
        rate = f.get("budget_completion_rate")
        if rate is None or f["phase"] != "executed" or Decimal(rate) == 0 or not certain(f):
            continue
        budgets = index.get(f["concept"], f["fiscal_year"], "budgeted")
        if not budgets:
            continue
        value, rate_d = Decimal(f["value"]), Decimal(rate)
        results = []
        for b in budgets:
            bv = Decimal(b["value"])
            if bv <= 0:
                continue
            expected = value / bv
            inputs = f["_ulp"] / bv + value * b["_ulp"] / (bv * bv)
            results.append((rate_agrees(expected, rate_d, f["_completion_ulp"], inputs), expected, b))
        if results and not any(ok for ok, *_ in results):
            _, expected, b = results[0]
            out.append(_finding(
                "completion_rate_mismatch", "error",
                f"“{labels.get(f['concept'], f['concept'])}”决算{wan(value)}万元、预算{wan(b['value'])}万元，"
                f"完成率应为{pct(expected)}，文中写的是{pct(rate_d)}。",
                to_str(expected.quantize(Decimal("0.0001"))), rate, [f["evidence"], b["evidence"]], inputs=(f, b)))
    return out


def implausible_completion_rates(items: list[dict]) -> list[dict]:
    cfg = {k: Decimal(str(v)) for k, v in rules()["completion"]["implausible"].items()}
    rated = [i for i in items if i.get("budget_completion_rate") is not None]
    if len(rated) < cfg["min_siblings"] + 1:
        return []
    out = []
    ordered = sorted(Decimal(i["budget_completion_rate"]) for i in rated)
    for item in rated:
        rate = Decimal(item["budget_completion_rate"])
        typical = _median_without(ordered, rate)
        if cfg["sibling_low"] <= typical <= cfg["sibling_high"] and not cfg["low"] <= rate <= cfg["high"]:
            name = item["item"] or item["kind"] or item["class"]
            out.append(_finding(
                "implausible_completion_rate", "warning",
                f"“{name}”完成预算{pct(rate)}，而同类科目的完成率中位数为{pct(typical)}；这样的预算执行率很少见，"
                f"请核对决算数或完成率是否有误。",
                to_str(typical), item["budget_completion_rate"], [item["evidence"]],
                inputs=(item,), doubt_kinds=DIGIT_DOUBTS))
    return out


def _median_without(ordered: list[Decimal], value: Decimal) -> Decimal:
    """The median of a sorted list once one occurrence of ``value`` is taken out, in O(1)."""
    from bisect import bisect_left
    k = bisect_left(ordered, value)
    n = len(ordered) - 1

    def at(i):               # the i-th element of the list without position k
        return ordered[i + 1] if i >= k else ordered[i]
    return at(n // 2) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2


# ---------------------------------------------------------------- codes and checklist
def code_name_mismatches(items: list[dict]) -> list[dict]:
    from .lexicon import get_lexicon, name_key
    out = []
    for it in items:
        known = it.get("name_in_lexicon")
        name = it["item"] or it["kind"] or it["class"]
        level = it["level"]
        if known is None or not name or it["function_code"] in get_lexicon().classification.by_name.get(
                (level, name_key(name)), []):
            continue          # the classification's name, or one of its aliases (an older name)
        row = get_lexicon().classification.by_code[it["function_code"]]
        weak = row.evidence.startswith("recalled")
        out.append(_finding(
            "code_name_mismatch", "info" if weak else "warning",
            f"科目编码{it['function_code']}在分类表中的名称是“{known}”，文中写作“{name}”，请核对编码或名称。"
            + ("（本项目的分类表对该编码的依据较弱。）" if weak else ""),
            known, name, [it["evidence"]], inputs=(it,), doubt_kinds=DIGIT_DOUBTS))
    return out


def missing_required_items(checklist: list[dict]) -> list[dict]:
    return [_finding("missing_required_item", "warning",
                     f"未找到必须公开的内容“{c['label']}”。若确无此项，也应说明（如“无政府采购支出”）。",
                     c["label"], None, [])
            for c in checklist if c.get("applicable", True) and not c["present"]]


def _all_within_rounding(group: list[dict]) -> bool:
    """17,192万元 in prose and 171,915,169元 in a table are one figure stated at two precisions."""
    return all(abs(Decimal(a["value"]) - Decimal(b["value"])) < a.get("_ulp", ZERO) + b.get("_ulp", ZERO)
               for a, b in itertools.combinations(group, 2))


def _in_table(f: dict) -> bool:
    return any("table" in m for m in f.get("mentions", [f["evidence"]]))


def _where(f: dict) -> str:
    """Where a figure stands, in the document's words: its statement's number or name, and page."""
    ev = f["evidence"]
    if "table" not in ev:
        return f"（正文，第{ev['page']}页）" if ev.get("page") else "（正文）"
    statement = f.get("statement") or {}
    name = statement.get("label") or statement.get("name") or f"表{ev['table'] + 1}"
    return f"（{name}，第{ev['page']}页）" if ev.get("page") else f"（{name}）"


def _conflict_rule(group: list[dict]) -> str:
    """Two values in prose: conflicting_values; a value only in prose against a table cell:
    text_table_mismatch; values that each stand in some table: cross_table_mismatch."""
    tables = [_in_table(f) for f in group]
    if all(tables):
        return "cross_table_mismatch"
    if any(tables):
        return "text_table_mismatch"
    return "conflicting_values"


def _show(value: str, unit: str) -> str:
    return f"{wan(value)}万元" if unit == "CNY" else f"{value}{unit}"
