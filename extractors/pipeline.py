"""``extract()``: decode → normalize → find → interpret → check → Result."""
from __future__ import annotations

import re

import functools
import gc
import hashlib
from bisect import bisect_right
from decimal import Decimal

from . import checks
from .audit import blanks_stated_elsewhere, has_contents, text_findings
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
from .rule_status import rule_status
from .table_reader import concept_scope, scope_of, statement_rules, table_rules
from .tables import text_tables

MAX_CHARS = 5_000_000
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# files published whole, whose contents list the statements they hold (a web page links its tables)
_WHOLE_FILES = {"application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@functools.lru_cache(maxsize=1)
def _engine():
    lex = get_lexicon()
    finder = get_finder()
    return lex, finder, DocumentReader(lex), Interpreter(lex, finder)


def warm_up() -> None:
    """Load lexicons, the segmenter and the patterns now rather than on the first document, then
    move everything loaded into the collector's permanent generation (gc.freeze): the lexicons live
    as long as the process, so each collection during a document no longer walks them, and a pool
    forked after this shares their pages instead of copying them."""
    from .quantities import segmenter
    segmenter()
    _import_decoders()
    extract("2021年本年收入合计1.00万元。")
    gc.collect()
    gc.freeze()


def _import_decoders() -> None:
    """The decoders of text, HTML and PDF, which are otherwise imported on a format's first
    document: a forked extraction process then has them, where loading a C extension under its
    address-space limit may fail (``failed to map segment from shared object``)."""
    from .decode import html, pdf, text  # noqa: F401


_MONEY_UNIT = re.compile(r"\d\s*(?:万元|亿元|千元|元)")


def looks_like_disclosure(text: str) -> bool:
    """A cheap first test of a web page, from the lexicon, before any extraction: a concept term
    (三公经费, 本年支出合计 …) and an amount of money, in the working copy (quotes and spaces
    folded: “三公”经费 is 三公经费). Whether it is a disclosure is then ``is_disclosure``'s."""
    lex = _engine()[0]
    working = normalize(text[:200_000]).text
    return bool(_MONEY_UNIT.search(working)) and any(kind == "concept" for *_, kind, _ in lex.find_terms(working))


def is_disclosure(result: dict) -> bool:
    """A result (v1 JSON) that reads a disclosure: a document type, a fiscal year, and at least
    one fact or line item."""
    doc = result.get("document") or {}
    return doc.get("doc_type", "unknown") != "unknown" and doc.get("fiscal_year") is not None and \
        bool(result.get("facts") or result.get("line_items"))


def extract(source: str | bytes, filename: str | None = None, source_url: str | None = None,
            tokens: bool = False, progress=None) -> Result:
    """Read one disclosure (text, or bytes with an optional file name) into a v1 :class:`Result`.
    ``progress(pages_done, pages_total)``, if given, hears of a PDF's pages as they are read."""
    media_type, encoding, tables, extra, pages, geometry = "text/plain", None, None, {}, [], None
    if isinstance(source, bytes):
        decoded = decode(source, filename, progress)
        text, media_type, encoding = decoded.text, decoded.media_type, decoded.encoding
        tables = decoded.tables if decoded.media_type != "text/plain" else None
        extra, pages, geometry = decoded.meta, decoded.pages, decoded.geometry
        digest = hashlib.sha256(source).hexdigest()
    else:
        text = source
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if not text.strip():
        raise ExtractionError(Errors.E001, "the text is empty or only white space")
    if len(text) > MAX_CHARS:
        raise ExtractionError(Errors.E004, f"{len(text)} characters; the limit is {MAX_CHARS}")
    if tables is None:
        tables = text_tables(text, table_rules()["line_tables"])
    result = _extract_text(text, digest, {"filename": filename, "url": source_url,
                                          "media_type": media_type, "encoding": encoding, **extra}, tables, pages,
                           geometry)
    if tokens:
        from .tokens import tokenize
        result.tokens = tokenize(text)
    return result


def _extract_text(text: str, digest: str, source: dict, tables, pages=(), geometry=None) -> Result:
    lex, finder, reader, interpreter = _engine()
    norm = normalize(text)
    info = reader.read(text, norm.text)
    info.department = _as_printed(info.department, norm)
    quantities = finder.find(norm.text)
    figures, bound = interpreter.run(norm.text, quantities, info, tables, norm)
    all_quantities = sorted(quantities + bound, key=lambda q: q.start)
    indicators = find_indicators(norm.text, quantities, interpreter.used)

    build = _Builder(norm, lex, pages, ocr_pages=frozenset(source.get("ocr_pages", ())), phase_known=info.doc_type != "unknown",
                     sections=info.sections, geometry=geometry)
    # a government's budget report states a region's finances: the department concepts do not apply
    facts = build.facts([f for f in figures if f.kind == "fact"]) if info.scope == "department" else []
    items, duplicates = build.line_items([f for f in figures if f.kind == "line_item"])
    checks_list = [build.check(c) for c in checklist(norm.text, info.doc_type, facts)]
    unread = [(norm.orig(pos), concept) for pos, concept in interpreter.unread]
    # amounts read as no figure at all: a part of a list whose concept is not on the list
    unread += [(norm.orig(q.start), None) for q in quantities
               if q.kind == "money" and q.start not in interpreter.used]
    unread.sort(key=lambda u: u[0])
    findings = run_checks(facts, items, duplicates, checks_list, lex, unread, norm.text, build.restated)
    findings += checks.row_formula_mismatches(build.row_splits(figures))
    findings = checks.empty_table_notes(_empty_notes(text, tables, build), facts + items, findings)
    findings += text_findings(text, info.fiscal_year, [(sec.heading, sec.start) for sec in info.sections],
                              build.original_evidence,
                              whole_file=source.get("media_type") in _WHOLE_FILES)
    blanks_stated_elsewhere(findings, facts, text, lex.find_terms)
    findings.sort(key=lambda f: _SEVERITY_ORDER[f["severity"]])
    checks.identify(findings)
    _strip_private(facts + items)
    document = {
        "sha256": digest, "chars": len(text), "text": text, "source": source,
        "doc_type": info.doc_type, "scope": info.scope, "fiscal_year": info.fiscal_year,
        "department": info.department, "region": info.region,
        "sections": [s.to_dict() for s in info.sections],
        "tables": [t.to_dict() for t in tables],
    }
    return Result(
        document=document,
        checks=rule_status(document, facts, items, findings, checks_list, has_contents(text)),
        quantities=[build.quantity(q) for q in all_quantities],
        facts=facts,
        line_items=items,
        indicators=[build.indicator(i) for i in indicators],
        findings=findings,
        disclosure_checklist=checks_list,
    )


def _as_printed(name: str | None, norm) -> str | None:
    """The department's name in the document's own characters (清遠市生態環境局 on a page in
    traditional characters): the original text under its first mention in the working copy, where
    that is the name character for character (no gloss or quote deleted inside it)."""
    if not name or norm.text is norm.original:
        return name
    at = norm.text.find(name)
    if at < 0:
        return name
    s, e = norm.span(at, at + len(name))
    printed = norm.original[s:e]
    return printed if len(printed) == len(name) else name


def _empty_notes(text: str, tables, build: "_Builder") -> list[tuple[int, dict, str]]:
    """(table index, the note's evidence, the table's caption) of each table followed by a note
    that says it is empty (checks.yaml empty_table_note)."""
    rule = checks.rules()["empty_table_note"]
    pattern = re.compile(rule["pattern"])
    out = []
    for t in tables or ():
        line_end = text.find("\n", t.end + 1)
        line_end = len(text) if line_end < 0 else line_end
        start = t.end + (len(text[t.end:line_end]) - len(text[t.end:line_end].lstrip()))
        if pattern.search(text, start, line_end):
            caption = text[max(0, text.rfind("\n", 0, max(0, t.start - 1)) + 1):t.start].strip()
            out.append((t.index, build.original_evidence(start, line_end), caption or f"表{t.index + 1}"))
    return out


def run_checks(facts, items, duplicates, checks_list, lex, unread=(), text: str = "", restated=()) -> list[dict]:
    labels = {c.id: c.label for c in lex.concepts.values()}
    findings = (checks.change_rate_mismatches(facts + items)
                + checks.line_rate_against_compared(items)
                + checks.impossible_changes(facts + items, labels)
                + checks.reasons_against_changes(facts + items)
                + checks.restated_line_items(list(restated))
                + checks.implausible_completion_rates(items)
                + checks.duplicate_line_items(duplicates)
                + checks.code_name_mismatches(items)
                + checks.missing_required_items(checks_list))
    bodies = _by_entity(facts)
    for entity, own in bodies.items():
        # the line items are the document's own body's (the one a page names no body for)
        lines = items if entity is None or len(bodies) == 1 else []
        findings += _cross_checks(own, lines, labels, unread, text)
    findings = checks.grade_minor(findings)
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f["severity"]])


def _by_entity(facts: list[dict]) -> dict:
    """The facts of each body a page states figures of (全州, 州本级; one group, None, for most pages)."""
    bodies: dict = {}
    for f in facts:
        bodies.setdefault(f.get("_entity"), []).append(f)
    return bodies or {None: []}


def _cross_checks(facts, items, labels, unread, text) -> list[dict]:
    """The checks that compare figures with each other: of one body only."""
    index = checks.FactIndex(facts)
    return (checks.conflicting_values(facts, labels)
            + checks.rate_against_compared(facts, index, labels)
            + checks.sum_mismatches(index, labels, unread, text)
            + checks.line_item_sums(items, index, labels, unread)
            + checks.balance_mismatches(index)
            + checks.share_mismatches(facts + items, index, labels)
            + checks.completion_rate_mismatches(facts, index, labels))


def _strip_private(rows: list[dict]) -> None:
    for row in rows:
        for key in [k for k in row if k.startswith("_")]:
            del row[key]


class _Builder:
    """Turns working-copy figures into contract dicts with original offsets."""

    def __init__(self, norm: NormText, lex, pages=(), ocr_pages: frozenset = frozenset(), phase_known: bool = True,
                 sections=(), geometry=None) -> None:
        self.norm = norm
        self.geometry = geometry or None
        self.sections = list(sections)
        self.section_starts = [sec.start for sec in self.sections]
        self._leads: list[tuple[int, str]] | None = None
        self._heading_scopes: dict[int, str | None] = {}
        self.lex = lex
        self.phase_known = phase_known       # the document type gives every figure's phase
        self.page_starts = [p[0] for p in pages]
        self.page_numbers = [p[1] for p in pages]
        self.ocr_pages = ocr_pages
        self._quantities: dict[int, dict] = {}     # by id(): an indicator's quantity is also in the list
        self.restated: list[tuple[dict, dict, dict]] = []   # (heading line, its restatement, the entry's evidence)

    def original_evidence(self, s: int, e: int, ref: dict | None = None) -> dict:
        """Evidence of the original text's span s…e (the text checks' spans are the original's)."""
        return self.evidence(s, e, ref, original=True)

    def evidence(self, start: int, end: int, ref: dict | None = None, original: bool = False) -> dict:
        s, e = (start, end) if original else self.norm.span(start, end)
        ev = {"start": s, "end": e, "text": self.norm.original[s:e]}
        if ref:
            ev.update({k: v for k, v in ref.items() if v is not None})
        if self.geometry is not None and (printed := self.geometry.box(s, e)) is not None:
            ev["page"], ev["bbox"] = printed
        if "page" not in ev and (page := self._page_at(s)) is not None:
            ev["page"] = page
        if self.ocr_pages and ev.get("page") in self.ocr_pages:
            ev["ocr"] = True          # read by OCR: its digits deserve less trust
        return ev

    def quantity(self, q: Amount) -> dict:
        d = self._quantities.get(id(q))
        if d is None:
            s, e = self.norm.span(q.start, q.end)
            d = self._quantities[id(q)] = q.to_dict(s, e, self.norm.original[s:e])
        return d

    def indicator(self, ind: dict) -> dict:
        q = ind["quantity"]
        return {"subject": ind["subject"], "measure": ind["measure"], "quantity": dict(self.quantity(q)),
                "evidence": self.evidence(ind["subject_span"][0], q.end)}

    def check(self, c: dict) -> dict:
        ev = c["evidence"]
        return {**c, "evidence": self.evidence(ev["start"], ev["end"]) if ev else None}

    def change(self, fig: Figure) -> dict | None:
        return self._change(fig.change)

    def other_changes(self, fig: Figure) -> dict:
        return {"other_changes": [self._change(c) for c in fig.other_changes]} if fig.other_changes else {}

    def _change(self, ch) -> dict | None:
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

    def _private(self, fig: Figure) -> dict:
        """Stated precisions and share bases for the checks; removed before the result leaves."""
        p = {"_ulp": checks.half_ulp(fig.amount.text, fig.amount.scale) if fig.amount else Decimal(0)}
        if fig.share:
            p["_share_ulp"] = checks.pct_ulp(fig.share.text)
            p["_share_base"] = fig.share_base
            if fig.parent is not None:
                p["_parent"] = (fig.parent.value, checks.half_ulp(fig.parent.text, fig.parent.scale),
                                self.evidence(fig.parent.start, fig.parent.end))
        if fig.completion:
            p["_completion_ulp"] = checks.pct_ulp(fig.completion.text)
        ch = fig.change
        if ch and ch.amount_q is not None and ch.rate is not None and not ch.implicit:
            p["_change_ulp"] = _change_ulp(ch)
        elif ch and ch.amount is None and ch.rate is not None and ch.rate_text and not ch.implicit:
            p["_rate_ulp"] = checks.pct_ulp(ch.rate_text)     # a rate alone: checked against the compared figure
        if ch and ch.reason:
            p["_reason_ev"] = self.evidence(fig.start, ch.reason[1])     # the figure, its change and the reason
        if fig.other_changes:
            p["_other_change_ulps"] = [_change_ulp(c) if c.amount_q is not None and c.rate is not None else None
                                       for c in fig.other_changes]
        doubts = self._doubts(fig)
        if doubts:
            p["_doubts"] = doubts
        if fig.side:
            p["_side"] = fig.side
        if fig.part_of is not None:
            p["_part"] = True
        if fig.term:
            p["_term"] = fig.term
        if fig.fund:
            p["_fund"] = fig.fund
        if fig.entity:
            p["_entity"] = fig.entity
        if fig.category:
            p["_category"] = fig.category
        return p

    def _doubts(self, fig: Figure) -> tuple[str, ...]:
        """Why this figure's reading is uncertain (codes of checks.yaml's ``doubts``)."""
        return tuple(code for code, doubtful in (
            ("year_unknown", fig.fiscal_year is None),
            ("phase_guessed", not fig.phase_stated and not self.phase_known),
            ("header_implied", fig.header_implied),
            ("ocr", self._read_by_ocr(fig.start))) if doubtful)

    def _read_by_ocr(self, start: int) -> bool:
        return bool(self.ocr_pages) and self._page_at(self.norm.orig(start)) in self.ocr_pages

    def _page_at(self, pos: int) -> int | None:
        """The page on which the original text's offset ``pos`` lies (None without pages)."""
        k = bisect_right(self.page_starts, pos) - 1
        return self.page_numbers[k] if k >= 0 else None

    def placed(self, fig: Figure) -> dict:
        """Where the figure was read and which money it covers (CONTRACT v1.1): a table's
        statement, or prose, whose scope is its fund's or its section's (五、财政拨款支出预算情况说明)."""
        if fig.statement is not None:
            return {"statement": fig.statement, "scope": fig.scope, "basis": fig.basis}
        scope = concept_scope(fig.concept) or (scope_of(fig.fund, columns=True) if fig.fund else None)
        return {"statement": {"id": "prose"}, "scope": scope or self._section_scope(fig.start), "basis": None}

    def _section_scope(self, pos: int) -> str | None:
        """The scope the innermost section heading that names one gives (a 类 heading names none),
        else the sentence that opens the list the figure is in (财政拨款支出主要内容如下：)."""
        offset = self.norm.orig(pos)
        innermost = _section_of(self.sections, self.section_starts, offset)
        if innermost not in self._heading_scopes:
            self._heading_scopes[innermost] = self._enclosing_scope(innermost, offset)
        scope = self._heading_scopes[innermost]
        return scope if scope is not None else self._lead_scope(offset)

    def _lead_scope(self, offset: int) -> str | None:
        rules = statement_rules()
        if self._leads is None:
            text, back = self.norm.original, rules["list_lead_words"]
            self._leads = []
            for m in rules["list_lead"].finditer(text):
                start = max(text.rfind("。", 0, m.start()), text.rfind("\n", 0, m.start()), m.start() - back - 1) + 1
                self._leads.append((start, text[start:m.end()]))
        k = bisect_right(self._leads, (offset,)) - 1
        if k < 0 or offset - self._leads[k][0] > rules["list_reach"]:
            return None
        return scope_of(self._leads[k][1])

    def _enclosing_scope(self, i: int, offset: int) -> str | None:
        """The scope of the innermost heading around ``offset`` that names one, from section ``i``
        outwards (every offset whose innermost section is ``i`` has the same enclosing ones)."""
        while i >= 0:
            sec = self.sections[i]
            if sec.start <= offset < sec.end:
                scope = scope_of(sec.heading)
                if scope:
                    return scope
            i -= 1
        return None

    def _common(self, fig: Figure) -> dict:
        return {
            "fiscal_year": fig.fiscal_year, "phase": fig.phase, **self.placed(fig),
            "share": to_str(fig.share.value) if fig.share else None,
            "budget_completion_rate": to_str(fig.completion.value) if fig.completion else None,
        }

    def facts(self, figures: list[Figure]) -> list[dict]:
        merged: dict[tuple, dict] = {}
        by_rest: dict[tuple, list[tuple]] = {}     # the keys of each (concept, phase, year), for _same_figure
        for fig in figures:
            concept = self.lex.concepts[fig.concept]
            ev = self.evidence(fig.start, fig.end, fig.table_ref)
            out = {"concept": fig.concept, "label": concept.label, "value": to_str(fig.value),
                   "unit": fig.unit, **self._common(fig), "change": self.change(fig), **self.other_changes(fig), "evidence": ev,
                   **self._private(fig)}
            _unit_flags(out, fig)
            rest = (fig.concept, fig.phase, fig.fiscal_year)
            key = rest + (out["value"],)
            if key not in merged:
                key = _same_figure(merged, by_rest.get(rest, ()), out, "value") or key
            out["_scopes"] = {out["scope"]}
            if key not in merged:
                out["mentions"] = [ev]
                merged[key] = out
                by_rest.setdefault(rest, []).append(key)
                continue
            kept = merged[key]
            kept["mentions"].append(ev)
            kept["_scopes"].add(out["scope"])
            _prefer_precise(kept, out)
            _fill(kept, out)
        return list(merged.values())

    def line_items(self, figures: list[Figure]) -> tuple[list[dict], list]:
        kept: dict[tuple, dict] = {}
        by_rest: dict[tuple, list[tuple]] = {}
        by_line: dict[tuple, list[tuple]] = {}      # the keys of each line and amount, whatever its scope
        duplicates = []
        key_of: dict[int, tuple] = {}              # id(figure) -> the key of the line it was kept under
        for fig in figures:
            line = fig.line
            ev = self.evidence(fig.start, fig.end, fig.table_ref)
            out = {"function_code": line["function_code"], "class": line["class"], "kind": line["kind"],
                   "item": line["item"], "level": line["level"], "amount": to_str(fig.value),
                   **self._common(fig), "cofog": line["cofog"], "code_source": line["code_source"],
                   "change": self.change(fig), **self.other_changes(fig), "evidence": ev, **self._private(fig)}
            _unit_flags(out, fig)
            if line.get("name_in_lexicon") is not None:
                out["name_in_lexicon"] = line["name_in_lexicon"]
            line_key = (out["level"], out["class"], out["kind"], out["item"], out["phase"], out["fiscal_year"])
            rest = line_key + (out["scope"],)    # one line in tables of two scopes is two lines
            key = rest + (out["amount"],)
            if key in kept and out["function_code"] and kept[key]["function_code"] not in (None, out["function_code"]):
                rest += (out["function_code"],)      # same names and amount, another code: another line
                line_key += (out["function_code"],)
                key = rest + (out["amount"],)
            if key not in kept:
                key = _same_figure(kept, by_rest.get(rest, ()), out, "amount") or key
            if key not in kept:
                key = self._any_scope(kept, by_line.get(line_key + (out["amount"],), ()), out) or key
            if key in kept:
                if kept[key]["function_code"] is None and out["function_code"]:
                    kept[key].update(function_code=out["function_code"], code_source=out["code_source"])
                # the same line twice in one list is an error of the document; in two tables
                # (总表 and 支出表) it is the same figure shown twice. Compared before the more
                # precise mention's evidence replaces the kept one's.
                if fig.restates is None and _same_list(kept[key]["evidence"], ev, self.sections, self.section_starts):
                    duplicates.append((dict(kept[key]), out))
                _prefer_precise(kept[key], out, value_slot="amount")
                _fill(kept[key], out)
                key_of[id(fig)] = key
                continue
            if fig.restates is not None:
                out["_restated"] = True     # another value for its heading's line: a finding, not a line to add up
            kept[key] = out
            key_of[id(fig)] = key
            by_rest.setdefault(rest, []).append(key)
            by_line.setdefault(line_key + (out["amount"],), []).append(key)
        self._restatements(figures, kept, key_of)
        return list(kept.values()), duplicates

    def row_splits(self, figures) -> list[tuple[dict, dict, dict]]:
        """(合计, 基本支出, 项目支出) of each table cell that has its split in its row, as {amount, _ulp,
        evidence, label, statement} (checks.row_formula_mismatches)."""
        out = []
        for fig in figures:
            if fig.split:
                total = self._cell(fig)
                parts = [{**total, "amount": to_str(a.value), "_ulp": checks.half_ulp(a.text, a.scale),
                          "evidence": self.evidence(a.start, a.end, ref)} for a, ref in fig.split]
                out.append((total, *parts))
        return out

    def _cell(self, fig: Figure) -> dict:
        line = fig.line or {}
        name = line.get("item") or line.get("kind") or line.get("class") or \
            (self.lex.concepts[fig.concept].label if fig.concept else "")
        return {"amount": to_str(fig.value), "_ulp": checks.half_ulp(fig.amount.text, fig.amount.scale) if fig.amount else Decimal(0),
                "evidence": self.evidence(fig.start, fig.end, fig.table_ref), "name": name, "label": name,
                "statement": fig.statement, "fiscal_year": fig.fiscal_year, "column": fig.column,
                **({"_doubts": d} if (d := self._doubts(fig)) else {})}

    def _restatements(self, figures, kept: dict, key_of: dict) -> None:
        """Each heading line kept apart from a sentence of its entry that restates it: another value."""
        for fig in figures:
            head = fig.restates
            if head is None or id(head) not in key_of or key_of[id(head)] == key_of[id(fig)]:
                continue
            end = max(fig.end, head.change.evidence[1] if head.change and head.change.evidence else 0)
            self.restated.append((kept[key_of[id(head)]], kept[key_of[id(fig)]], self.evidence(head.start, end)))

    @staticmethod
    def _any_scope(kept: dict, same_line: list[tuple], out: dict) -> tuple | None:
        """A line of unknown scope (prose restating a table) is the same line as one of any scope
        with its names and amount; a line of a known scope is the one kept without a scope.
        ``same_line``: the keys kept for these names and amount, whatever their scope."""
        for other_key in same_line:
            other = kept[other_key]
            if out["scope"] is None or other["scope"] is None:
                if other["scope"] is None:
                    other["scope"] = out["scope"]
                    other["statement"], other["basis"] = out["statement"], out["basis"]
                return other_key
        return None


def _same_figure(kept: dict, candidates, out: dict, value_slot: str) -> tuple | None:
    """The key of a kept figure that is this one stated at another precision (17,192万元 and
    171,915,169元). ``candidates`` are the keys that agree on everything but the value."""
    value = Decimal(out[value_slot])
    for other_key in candidates:
        other = kept[other_key]
        kept_value = Decimal(other[value_slot])
        if kept_value == value:
            return other_key      # kept under the coarser mention's key, now at this precision
        if other["_ulp"] != out["_ulp"] and abs(kept_value - value) <= other["_ulp"] + out["_ulp"]:
            return other_key
    return None


def _prefer_precise(kept: dict, other: dict, value_slot: str = "value") -> None:
    """Of one figure stated twice, keep the more precise value (the table's 元 over the prose's 万元)."""
    if other["_ulp"] < kept["_ulp"]:
        for k in (value_slot, "_ulp", "evidence"):
            kept[k] = other[k]


def _unit_flags(out: dict, fig: Figure) -> None:
    if fig.unit_inferred:
        out["unit_inferred"] = True
        if fig.amount is not None and fig.amount.unit_declared:
            out["unit_declared"] = True     # from a 单位：万元 declaration: certain enough to check


def _change_ulp(ch) -> tuple[Decimal, Decimal]:
    return checks.half_ulp(ch.amount_q.text, ch.amount_q.scale), checks.pct_ulp(to_str(ch.rate * 100))


def _fill(kept: dict, other: dict) -> None:
    """A later mention of the same figure supplies the attributes the first one lacked."""
    slots = {"share": ("_share_ulp", "_share_base", "_parent"), "budget_completion_rate": ("_completion_ulp",),
             "change": ("_change_ulp", "_rate_ulp")}
    for slot, private in slots.items():
        if kept[slot] is None and other[slot] is not None:
            kept[slot] = other[slot]
            for key in private:
                if key in other:
                    kept[key] = other[key]
    known = [(c["compared_year"], c["compared_phase"]) for c, _ in checks.changes_of(kept)]
    for ch, ulp in checks.changes_of(other):
        if (ch["compared_year"], ch["compared_phase"]) not in known:
            known.append((ch["compared_year"], ch["compared_phase"]))
            kept.setdefault("other_changes", []).append(ch)
            kept.setdefault("_other_change_ulps", []).append(ulp)


def _same_list(a: dict, b: dict, sections, starts) -> bool:
    """Two rows of one table, or two lines of prose in one section: a list that repeats a line."""
    if "table" in a or "table" in b:
        return a.get("table") == b.get("table")
    return _section_of(sections, starts, a["start"]) == _section_of(sections, starts, b["start"])


def _section_of(sections, starts: list[int], offset: int) -> int:
    """The index of the innermost section holding ``offset`` (-1 before the first heading).
    Sections nest and are sorted by start, so the nearest one before ``offset`` that still
    runs past it is the innermost."""
    i = bisect_right(starts, offset) - 1
    while i >= 0 and sections[i].end <= offset:
        i -= 1
    return i


