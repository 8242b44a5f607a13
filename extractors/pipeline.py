"""``extract()``: decode → normalize → find → interpret → check → Result."""
from __future__ import annotations

import functools
import hashlib

from . import checks
from .checklist import checklist
from .decode import decode
from .document import DocumentReader
from .errors import Errors, ExtractionError
from .indicators import find_indicators
from .interpret import Figure, Interpreter
from .lexicon import get_lexicon
from .normalize import NormText, normalize
from .numerals import to_str
from .quantities import Amount, get_finder
from .result import Result

MAX_CHARS = 5_000_000


@functools.lru_cache(maxsize=1)
def _engine():
    lex = get_lexicon()
    finder = get_finder()
    return lex, finder, DocumentReader(lex), Interpreter(lex, finder)


def warm_up() -> None:
    """Load lexicons, the segmenter and the patterns now rather than on the first document."""
    from .quantities import segmenter
    segmenter()
    extract("2021年本年收入合计1.00万元。")


def extract(source: str | bytes, filename: str | None = None, source_url: str | None = None,
            tokens: bool = False) -> Result:
    """Read one disclosure (text, or bytes with an optional file name) into a v1 :class:`Result`."""
    media_type, encoding = "text/plain", None
    if isinstance(source, bytes):
        decoded = decode(source, filename)
        text, media_type, encoding = decoded.text, decoded.media_type, decoded.encoding
        digest = hashlib.sha256(source).hexdigest()
    else:
        text = source
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if not text.strip():
        raise ExtractionError(Errors.E001, "the text is empty or only white space")
    if len(text) > MAX_CHARS:
        raise ExtractionError(Errors.E004, f"{len(text)} characters; the limit is {MAX_CHARS}")
    result = _extract_text(text, digest, {"filename": filename, "url": source_url,
                                          "media_type": media_type, "encoding": encoding})
    if tokens:
        from .tokens import tokenize
        result.tokens = tokenize(text)
    return result


def _extract_text(text: str, digest: str, source: dict) -> Result:
    lex, finder, reader, interpreter = _engine()
    norm = normalize(text)
    info = reader.read(text)
    quantities = finder.find(norm.text)
    figures, bound = interpreter.run(norm.text, quantities, info)
    all_quantities = sorted(quantities + bound, key=lambda q: q.start)
    indicators = find_indicators(norm.text, quantities, interpreter.used)

    build = _Builder(norm, lex)
    facts, fact_changes = build.facts([f for f in figures if f.kind == "fact"])
    items, duplicates, item_changes = build.line_items([f for f in figures if f.kind == "line_item"])
    labels = {c.id: c.label for c in lex.concepts.values()}
    findings = (checks.duplicate_line_items(duplicates)
                + checks.conflicting_values(facts, labels)
                + checks.change_rate_mismatch(fact_changes + item_changes))
    document = {
        "sha256": digest, "chars": len(text), "text": text, "source": source,
        "doc_type": info.doc_type, "fiscal_year": info.fiscal_year,
        "department": info.department, "region": info.region,
        "sections": [s.to_dict() for s in info.sections],
    }
    return Result(
        document=document,
        quantities=[build.quantity(q) for q in all_quantities],
        facts=facts,
        line_items=items,
        indicators=[build.indicator(i) for i in indicators],
        findings=findings,
        disclosure_checklist=[build.check(c) for c in checklist(norm.text, info.doc_type)],
    )


class _Builder:
    """Turns working-copy figures into contract dicts with original offsets."""

    def __init__(self, norm: NormText, lex) -> None:
        self.norm = norm
        self.lex = lex

    def evidence(self, start: int, end: int) -> dict:
        s, e = self.norm.span(start, end)
        return {"start": s, "end": e, "text": self.norm.original[s:e]}

    def quantity(self, q: Amount) -> dict:
        d = q.to_dict()
        ev = self.evidence(q.start, q.end)
        d.update(start=ev["start"], end=ev["end"], text=ev["text"])
        return d

    def indicator(self, ind: dict) -> dict:
        q = ind["quantity"]
        return {"subject": ind["subject"], "measure": ind["measure"], "quantity": self.quantity(q),
                "evidence": self.evidence(ind["subject_span"][0], q.end)}

    def check(self, c: dict) -> dict:
        ev = c["evidence"]
        return {**c, "evidence": self.evidence(ev["start"], ev["end"]) if ev else None}

    def change(self, fig: Figure) -> dict | None:
        ch = fig.change
        if ch is None:
            return None
        out = {"amount": to_str(ch.amount) if ch.amount is not None else None,
               "rate": to_str(ch.rate) if ch.rate is not None else None,
               "direction": ch.direction, "compared_year": ch.compared_year,
               "compared_phase": ch.compared_phase, "reason": None,
               "evidence": self.evidence(*ch.evidence) if ch.evidence else None}
        if ch.reason:
            out["reason"] = self.evidence(*ch.reason)["text"].strip()
        return out

    def _change_check(self, fig: Figure, out: dict) -> tuple[dict, dict] | None:
        ch = fig.change
        if ch is None or fig.amount is None or ch.amount is None or ch.rate is None:
            return None
        return (out, {"value": fig.value, "amount": ch.amount, "rate": ch.rate, "direction": ch.direction,
                      "value_ulp": checks.half_ulp(fig.amount.text, fig.amount.scale),
                      "amount_ulp": checks.half_ulp(ch.amount_q.text, ch.amount_q.scale) if ch.amount_q else 0,
                      "rate_ulp": checks.half_ulp(_rate_text(ch.rate), 1) / 100,
                      "evidence": out["change"]["evidence"]})

    def _common(self, fig: Figure) -> dict:
        return {
            "fiscal_year": fig.fiscal_year, "phase": fig.phase,
            "share": to_str(fig.share.value) if fig.share else None,
            "budget_completion_rate": to_str(fig.completion.value) if fig.completion else None,
        }

    def facts(self, figures: list[Figure]) -> tuple[list[dict], list]:
        merged: dict[tuple, dict] = {}
        changes = []
        for fig in figures:
            concept = self.lex.concepts[fig.concept]
            key = (fig.concept, to_str(fig.value), fig.phase, fig.fiscal_year)
            ev = self.evidence(fig.start, fig.end)
            out = {"concept": fig.concept, "label": concept.label, "value": to_str(fig.value),
                   "unit": fig.unit, **self._common(fig), "change": self.change(fig), "evidence": ev}
            if fig.unit_inferred:
                out["unit_inferred"] = True
            check = self._change_check(fig, out)
            if check:
                changes.append(check)
            if key not in merged:
                out["mentions"] = [ev]
                merged[key] = out
                continue
            kept = merged[key]
            kept["mentions"].append(ev)
            for slot in ("share", "budget_completion_rate", "change"):
                if kept[slot] is None and out[slot] is not None:
                    kept[slot] = out[slot]
        return list(merged.values()), changes

    def line_items(self, figures: list[Figure]):
        kept: dict[tuple, dict] = {}
        duplicates, changes = [], []
        for fig in figures:
            line = fig.line
            ev = self.evidence(fig.start, fig.end)
            out = {"function_code": line["function_code"], "class": line["class"], "kind": line["kind"],
                   "item": line["item"], "level": line["level"], "amount": to_str(fig.value),
                   **self._common(fig), "cofog": line["cofog"], "code_source": line["code_source"],
                   "change": self.change(fig), "evidence": ev}
            if fig.unit_inferred:
                out["unit_inferred"] = True
            if line.get("name_in_lexicon") is not None:
                out["name_in_lexicon"] = line["name_in_lexicon"]
            check = self._change_check(fig, out)
            if check:
                changes.append(check)
            key = (out["level"], out["class"], out["kind"], out["item"], out["amount"], out["phase"],
                   out["fiscal_year"], out["function_code"])
            if key in kept:
                duplicates.append((kept[key], out))
                continue
            kept[key] = out
        return list(kept.values()), duplicates, changes


def _rate_text(rate) -> str:
    return to_str(rate * 100)
