"""Findings: pure functions over the interpreted result. Each rule is one function.

Tolerances come from the stated precision of the inputs: a figure written with two decimals
in 万元 may be off by half of 0.01万元, so only a gap beyond the summed rounding is an error.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .numerals import to_str


def half_ulp(text: str, scale: Decimal) -> Decimal:
    """Half of the last stated digit of a figure, in yuan (``185.88`` in 万元 -> 50)."""
    digits = text.replace(",", "")
    number = "".join(ch for ch in digits if ch.isdigit() or ch == ".")
    decimals = len(number.split(".", 1)[1]) if "." in number else 0
    return Decimal(1).scaleb(-decimals) / 2 * scale


def duplicate_line_items(duplicates: list[tuple[dict, dict]]) -> list[dict]:
    out = []
    for first, again in duplicates:
        name = first["item"] or first["kind"] or first["class"]
        out.append({
            "rule": "duplicate_line_item", "severity": "warning",
            "message": f"科目“{name}”（{yuan_to_wan(first['amount'])}万元）重复列示了两次，请核对是否误列或漏列了其他科目。",
            "expected": "1", "actual": "2",
            "evidence": [first["evidence"], again["evidence"]],
        })
    return out


def conflicting_values(facts: list[dict], labels: dict[str, str]) -> list[dict]:
    groups = defaultdict(list)
    for f in facts:
        groups[(f["concept"], f["fiscal_year"], f["phase"])].append(f)
    out = []
    for (concept, year, phase), group in groups.items():
        values = {f["value"] for f in group}
        if len(values) < 2:
            continue
        unit = group[0]["unit"]
        shown = "、".join(_show(f["value"], unit) for f in group)
        out.append({
            "rule": "conflicting_values", "severity": "error",
            "message": f"{year}年“{labels.get(concept, concept)}”在文中出现了不同的数值：{shown}，请核对哪一个是正确的。",
            "expected": group[0]["value"], "actual": group[1]["value"],
            "concept": concept,
            "evidence": [f["evidence"] for f in group],
        })
    return out


def change_rate_mismatch(figures: list[tuple[dict, dict]]) -> list[dict]:
    """``figures``: (fact or line item, its parsed change with value/amount/rate and their texts)."""
    out: dict[tuple, dict] = {}
    for fig, ch in figures:
        value, amount, rate = ch["value"], ch["amount"], ch["rate"]
        if None in (value, amount, rate) or ch["direction"] not in ("increase", "decrease"):
            continue
        prior = value - amount if ch["direction"] == "increase" else value + amount
        if prior <= 0:
            continue
        expected = amount / prior
        # the rate's own rounding, plus what the rounding of the two amounts can move it
        tol = ch["rate_ulp"] + (ch["amount_ulp"] / prior) + (amount * (ch["value_ulp"] + ch["amount_ulp"]) / (prior * prior))
        if abs(expected - rate) <= tol:
            continue
        key = (value, amount, rate, ch["direction"])
        if key in out:   # the same wrong rate stated again for another total: one finding
            out[key]["evidence"] += [fig["evidence"], ch["evidence"]]
            continue
        label = fig.get("label") or fig.get("item") or fig.get("class")
        out[key] = {
            "rule": "change_rate_mismatch", "severity": "error",
            "message": (f"“{label}”{'增加' if ch['direction'] == 'increase' else '减少'}{yuan_to_wan(to_str(amount))}万元，"
                        f"按上年{yuan_to_wan(to_str(prior))}万元计算变动率应为{pct(expected)}，文中写的是{pct(rate)}。"),
            "expected": to_str(expected.quantize(Decimal("0.0001"))), "actual": to_str(rate),
            "evidence": [fig["evidence"], ch["evidence"]],
        }
    return list(out.values())


def yuan_to_wan(value: str) -> str:
    return to_str(Decimal(value) / 10000)


def pct(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(Decimal('0.01'))}%"


def _show(value: str, unit: str) -> str:
    return f"{yuan_to_wan(value)}万元" if unit == "CNY" else f"{value}{unit}"
