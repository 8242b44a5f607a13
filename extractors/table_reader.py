"""Reads tables through their headers: which column holds codes, names, which amount and phase.

A row with a functional code (``2012901``, or ``201 | 29 | 01`` across columns) is a line item;
a row whose label is a fiscal term (``本年收入合计``, ``一般公共服务支出``) is a fact or a class
row; the 合计 row is the table's total (its concept comes from the caption, lexicons/tables.yaml),
and in that row a column whose header is a term (基本支出, 项目支出) gives that term's figure.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml

from .lexicon import LEXICON_DIR, Lexicon
from .normalize import NormText
from .quantities import Amount
from .tables import NUMBER, Table

_NIL = {"-", "—", "－", "--", "——", "/", "", "0.00", "0"}
_CAPTION_REACH = 300      # a table's caption lines (its name, 编制部门, 单位：元) stand this close before it
_TOTAL_COLUMN = re.compile(r"合计|总计|小计")
# a header's year and phase (2024年机关运行经费预算数) say when, not a narrower figure
_PERIOD = re.compile(r"^(?:19|20)\d{2}年度?|(?:年初|调整)?(?:预算|决算|执行)数?$")
_OUTLINE = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.]|\(?[一二三四五六七八九十\d]+\)|其中[:：]?|加[:：]|减[:：])+")
# a row named by its phase or its year (预算数, 2015年, 2016年决算数) under columns named by terms
_PHASE_LABEL = re.compile(r"^(?=.)(?:(?P<y>(?:19|20)\d{2})年度?)?(?:(?P<b>年初预算|调整预算|全年预算|预算)|(?P<e>决算|实际))?(?:数|金额)?$")
_YEAR = re.compile(r"(20\d{2})年")
# what a class row's label may say beside the class name (一般公共服务支出, 社会保障和就业（类）)
_CLASS_REST = re.compile(r"^(?:支出|[(（]类[)）]|类|合计|小计)+$")


_CONTINUED = "\x00continued"     # the table goes on from the one before it (a page break)


@dataclass(frozen=True)
class StatementRule:
    """One standard statement of lexicons/statements.yaml."""
    id: str
    pattern: re.Pattern
    type: str
    total: str | None
    concepts: tuple


@functools.lru_cache(maxsize=1)
def statement_rules() -> dict:
    with open(LEXICON_DIR / "statements.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return {
        "statements": [StatementRule(s["id"], re.compile(s["pattern"]), s["type"], s.get("total"),
                                     tuple(s.get("concepts") or ())) for s in data["statements"]],
        "label": re.compile(data["label"]),
        "caption_end": re.compile(data["caption_end"]),
        "scopes": [(re.compile(r["pattern"]), r["scope"], bool(r.get("columns"))) for r in data["scopes"]],
        "basis": [(re.compile(r["pattern"]), r["basis"]) for r in data["basis"]],
        "concept_scopes": dict(data.get("concept_scopes") or {}),
        "list_lead": re.compile(data["list_lead"]),
        "list_reach": data["list_reach"],
        "list_lead_words": data["list_lead_words"],
    }


def named_statement(text: str) -> StatementRule | None:
    """The statement a caption names (lexicons/statements.yaml, the first pattern that matches)."""
    return next((s for s in statement_rules()["statements"] if s.pattern.search(text)), None)


@functools.lru_cache(maxsize=1024)
def concept_scope(concept: str | None) -> str | None:
    """The scope a concept names itself (appropriation.general_budget_basic: general_budget)."""
    if not concept:
        return None
    return next((scope for prefix, scope in statement_rules()["concept_scopes"].items()
                 if concept.startswith(prefix)), None)


@functools.lru_cache(maxsize=4096)
def scope_of(text: str, columns: bool = False) -> str | None:
    """The money a caption or heading (or, with ``columns``, a column header) covers."""
    return next((scope for pattern, scope, for_columns in statement_rules()["scopes"]
                 if (for_columns or not columns) and pattern.search(text)), None)


@functools.lru_cache(maxsize=1)
def table_rules() -> dict:
    with open(LEXICON_DIR / "tables.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    cols = {k: re.compile(v) for k, v in data["columns"].items()}
    statements = statement_rules()["statements"]
    allowed = {s.type: s.concepts for s in statements if s.concepts}
    return {"columns": cols, "statements": statements, "total_labels": set(data["total_labels"]),
            "subtotal_labels": set(data.get("subtotal_labels") or ()),
            "generic_totals": set(data["generic_totals"]), "allowed": allowed,
            "line_tables": _line_rules(data["line_tables"]) if data.get("line_tables") else None,
            "totals_by_type": {s.type: s.total for s in statements}}


def _line_rules(lines: dict) -> dict:
    """The patterns of tables flattened one cell per line (tables.yaml ``line_tables``)."""
    words = lines.get("label_header", [])
    forms = lines.get("implied_headers", [])
    # a line that may open such a table, found in one scan: a label word alone on its line (its
    # letters perhaps spaced), or a standard form's caption
    label_line = (r"^[ \t\u3000|]*(?:" + "|".join(r"[ \t\u3000]*".join(map(re.escape, w)) for w in words)
                  + r")[ \t\u3000|]*$")
    return {"label_header": re.compile("^(?:" + "|".join(map(re.escape, words)) + ")$"),
            "value_header": re.compile(lines["value_header"]),
            "opening": re.compile("|".join([label_line] + [f["caption"] for f in forms]), re.M),
            "max_cell_chars": lines.get("max_cell_chars", 40),
            "implied": [{"caption": re.compile(f["caption"]), "columns": f["columns"]} for f in forms]}


@dataclass
class NCell:
    text: str      # normalized
    start: int     # working-copy offsets
    end: int
    col: int


def parse_number(text: str) -> Decimal | None:
    t = text.replace(",", "").replace("−", "-").rstrip("%")
    if not NUMBER.match(text.replace("−", "-")):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


class TableReader:
    def __init__(self, lex: Lexicon, interp) -> None:
        self.lex = lex
        self.interp = interp       # for _scale_at, the figure type and the document info
        self.rules = table_rules()
        self._previous: tuple[StatementRule | None, str | None] = (None, None)
        self._grand_total = False
        self._named_now: StatementRule | None = None     # the statement of the table being read
        self._table_from: int | None = None               # where its caption may declare its unit
        self._headers_before: list[str] = []               # the headers of the table read last

    def read(self, table: Table, norm: NormText) -> list | None:
        grid = [[self._cell(c, i, norm) for i, c in enumerate(row)] for row in table.rows]
        if not grid:
            return []
        t_start = norm.norm_pos(table.start)
        table_from = max(0, t_start - _CAPTION_REACH)
        n_header = 0 if table.implied else self._header_rows(grid)
        header_rows = grid[:n_header]
        expanded = None
        if table.source == "pipes" and _spans_lost(header_rows, grid[n_header:]):
            if _last_header_complete(header_rows, grid[n_header:]):
                header_rows = header_rows[-1:]   # the collapsed rows above a complete one say nothing it needs
            elif (expanded := _group_expanded(header_rows, grid[n_header:], self.rules["subtotal_labels"])
                  or _last_group_expanded(header_rows, grid[n_header:])) is None:
                return None      # not a grid that can be read: its text stays prose
        headers = list(table.implied) if table.implied else expanded or self._headers(header_rows)
        named, caption = self._caption_before(t_start)
        # a caption copied into the first row is the table's own: it names the table whatever a
        # line before it names (a table of contents), and even right after another table
        own = self._named_in_rows(grid[:n_header])
        if own[0] is not None:
            named, caption = own
        elif caption is _CONTINUED:
            caption = self._previous[1]
            table_from = self._table_from if self._table_from is not None else table_from   # its unit too
            if n_header == 0 and not table.implied:
                headers = _continued(self._headers_before, max(len(r) for r in grid))
        self._table_from = table_from
        self._headers_before = headers
        kind, total_concept = (named.type, named.total) if named else (None, None)
        if kind is None:
            kind, total_concept = self._kind_from_headers(headers)
        self._previous = (named, caption)
        self._kind_now = kind
        self._named_now = named
        code_cols = [i for i, h in enumerate(headers) if self.rules["columns"]["code"].search(h)]
        figures = []
        state = {"class": None, "kind": None, "names": {}}
        header_cols = _header_columns(header_rows)
        self._grand_total = any(self._names_grand_total(c.text) for row in grid[n_header:] for c in row[:3])
        for r in range(n_header, len(grid)):
            row = _aligned(grid[r], header_cols)
            change_row = _change_row(row)
            if change_row is not None:
                self._change_rates(figures, row, *change_row)
                continue
            figures += self._row(table, r, row, headers, code_cols, kind, total_concept, state)
        self._place(figures, named, caption, headers, grid)
        if table.implied:
            for f in figures:
                f.header_implied = True
        return figures

    def _place(self, figures, named: StatementRule | None, caption: str | None, headers: list[str],
               grid=()) -> None:
        """Each figure's statement, scope and basis (CONTRACT v1.1): the statement the caption
        names, the money its caption (or the figure's column, 一般公共预算 | 政府性基金) covers,
        and the split (基本支出 | 项目支出) its column holds."""
        statement = self._statement(named, caption)
        table_scope = scope_of(caption) if caption and named else None
        split = any(_basis_of(h) for h in headers)
        for f in figures:
            header = _at(headers, f.table_ref["col"]) if f.table_ref else ""
            f.statement = statement
            f.scope = scope_of(header, columns=True) or table_scope
            f.basis = _basis_of(header) or ("total" if split else None)
            f.column = header or None
            if f.basis == "total" and _TOTAL_COLUMN.search(header) and f.table_ref["row"] < len(grid):
                f.split = self._split(grid[f.table_ref["row"]], headers, f.table_ref["col"], f.table_ref)

    def _split(self, row, headers: list[str], total_col: int, ref: dict) -> list | None:
        """The 基本支出 and 项目支出 cells of the 合计 at ``total_col`` (the columns of its header group:
        一般公共预算支出 合计 | 一般公共预算支出 基本支出 | …), as (Amount, ref); None when the group has
        another column with an amount (事业单位经营支出, 对附属单位补助支出: parts the formula lacks)."""
        head = headers[total_col]
        group = head.rsplit(" ", 1)[0] if " " in head else ""
        members = [i for i, h in enumerate(headers) if i > total_col and h.startswith(group)]
        by_basis = {b: [i for i in members if _basis_of(headers[i]) == b] for b in ("basic", "project")}
        if any(len(cols) != 1 for cols in by_basis.values()):
            return None
        cells = {c.col: c for c in row}
        numbers = {i: parse_number(cells[i].text) if i in cells else None for i in members}
        split_cols = [by_basis["basic"][0], by_basis["project"][0]]
        if any(numbers[i] not in (None, 0) for i in members if i not in split_cols) or \
                any(numbers[i] is None for i in split_cols):
            return None
        return [(self._money(cells[i], numbers[i]), {**ref, "col": i}) for i in split_cols]

    def _statement(self, named: StatementRule | None, caption: str | None) -> dict:
        if named is None:
            return {"id": "unknown", "name": _printed_name(caption) if caption else None, "label": None}
        doc = "final" if "决算" in caption else "budget" if "预算" in caption else self.interp.doc_prefix
        label = statement_rules()["label"].search(caption)
        return {"id": f"{doc}.{named.id}" if doc else named.id, "name": _printed_name(caption),
                "label": re.sub(r"\s+", "", label.group()) if label else None}

    def _change_rates(self, figures, row, year: int, compared: int) -> None:
        """A row 2016年比2015年增减% under rows named by year: each column's rate is the change of
        that column's figure of the later year against the earlier one."""
        from .changes import Change
        by_col = {f.table_ref["col"]: f for f in figures if f.table_ref and f.fiscal_year == year}
        for c in row[1:]:
            rate = parse_number(c.text)
            fig = by_col.get(c.col)
            if rate is None or fig is None or fig.change is not None:
                continue
            direction = "flat" if rate == 0 else "increase" if rate > 0 else "decrease"
            fig.change = Change(rate=abs(rate) / 100, direction=direction, compared_year=compared,
                                compared_phase=fig.phase, evidence=(c.start, c.end),
                                rate_text=c.text.lstrip("-−+") + "%", phase_stated=fig.phase_stated)

    # ------------------------------------------------------------ structure
    def _cell(self, cell, col: int, norm: NormText) -> NCell:
        s, e = norm.norm_pos(cell.start), norm.norm_pos(cell.end)
        return NCell(norm.text[s:e].strip(), s, e, col)

    def _caption_before(self, pos: int) -> tuple[StatementRule | None, str | None]:
        """The statement a table's caption names: the nearest line before it that names one. A
        table with no caption of its own after another table goes on from that one (a page break)."""
        before = self.interp.text[max(0, pos - 300):pos].split("\n")
        for line in reversed(before[-6:]):
            if not line.strip(" \t|"):
                continue                       # a blank line, or a lone bar between cells
            if line.lstrip().startswith("|"):
                return (self._previous[0], _CONTINUED) if self._previous[0] else (None, None)
            named = self._named(line)
            if named is not None:
                return named, line.strip()
        return None, None

    @staticmethod
    def _named(caption: str) -> StatementRule | None:
        return named_statement(caption)

    def _named_in_rows(self, rows) -> tuple[StatementRule | None, str | None]:
        """A caption copied into the table as its first row (one filled cell): 2021年三公经费预算表 | |."""
        for row in rows:
            filled = [c for c in row if c.text]
            named = self._named(filled[0].text) if len(filled) == 1 else None
            if named is not None:
                return named, filled[0].text
        return None, None

    def _kind_from_headers(self, headers: list[str]) -> tuple[str | None, str | None]:
        """A table without a caption whose column headers are terms of one table type only
        (因公出国(境)费 | 公务接待费 …) is of that type."""
        concepts = [t[1] for h in headers if (t := self._term(h.split(" ")[-1])) and t[0] == "concept"]
        if len(concepts) < 2:
            return None, None
        for kind, allowed in self.rules["allowed"].items():
            if all(c.startswith(allowed) for c in concepts) and all(a.endswith(".") for a in allowed):
                return kind, self.rules["totals_by_type"].get(kind)
        return None, None

    def _header_rows(self, grid) -> int:
        """Rows before the first row of values: one where numbers that are not codes (codes stand
        in the first columns) are at least as many as its words (a header row of 预算数 | 决算数 …
        may hold one value of a column that spans the header rows), or one where a fiscal term
        stands right before a number (一、财政拨款 | 24,169.74 | 一、一般公共服务支出 | … in a 收支总表
        of two blocks, whose words outnumber its values)."""
        for i, row in enumerate(grid):
            numbers = sum(1 for c in row if parse_number(c.text) is not None and not (c.col < 3 and _looks_like_code(c.text)))
            words = sum(1 for c in row if c.text and parse_number(c.text) is None)
            if numbers and (numbers >= words or self._term_before_number(row)):
                return i
            if self._total_row(row):
                return i         # 合计 | 3318: a total's row, whatever its number looks like
        return 0

    def _total_row(self, row) -> bool:
        filled = [c.text for c in row if c.text]
        return len(filled) >= 2 and filled[0] in self.rules["total_labels"] \
            and all(parse_number(t) is not None for t in filled[1:])

    def _term_before_number(self, row) -> bool:
        filled = [c for c in row if c.text]
        return any(parse_number(b.text) is not None and parse_number(a.text) is None and self._term(a.text)
                   and not _looks_like_code(b.text) for a, b in zip(filled, filled[1:]))

    @staticmethod
    def _headers(rows) -> list[str]:
        """One header string per column. A blank cell takes the text to its left (a cell merged
        across columns) unless the cell above it has text (a cell merged down from above)."""
        width = max((len(r) for r in rows), default=0)
        if width > 1:
            rows = [r for r in rows if _header_row(r)] or rows
        raw = [[row[i].text if i < len(row) else "" for i in range(width)] for row in rows]
        filled = []
        for r, row in enumerate(raw):
            last, out = "", []
            for i, text in enumerate(row):
                if text:
                    last = text
                elif r and raw[r - 1][i]:
                    last = ""
                out.append(text or last)
            filled.append(out)
        return [" ".join(dict.fromkeys(r[i] for r in filled if r[i])) for i in range(width)]

    # ------------------------------------------------------------ rows
    def _row(self, table, r, row, headers, code_cols, kind, total_concept, state) -> list:
        code = self._code(row, code_cols, state, headers)
        labels = [c for c in row if c.text and parse_number(c.text) is None
                  and not (c.col in code_cols and _looks_like_code(c.text))]
        if code:
            name_cell = labels[0] if labels else None
            if name_cell is not None:
                state["names"][code] = name_cell.text
            return self._line_item(table, r, row, headers, code, name_cell, state["names"])
        labels = self._subtotals_named(labels, row)
        out = []
        phase_label = labels and _PHASE_LABEL.match(labels[0].text)
        if phase_label and len(labels) == 1:
            return self._phase_row(table, r, row, headers, labels[0], phase_label, total_concept)
        if not labels:
            # a row of figures under headers that are terms (合计 | 因公出国(境)费 | 公务接待费 …)
            return self._phase_row(table, r, row, headers, None, None, total_concept)
        blocks = [i for i, h in enumerate(headers) if self.rules["columns"]["label"].search(h.split(" ")[-1])]
        value_cols = [i for i in range(len(headers)) if i not in blocks and i not in code_cols]
        for i, label in enumerate(labels):
            nxt = labels[i + 1].col if i + 1 < len(labels) else len(row)
            # a 项目 column after some value column starts another block of label and values
            nxt = min([nxt] + [b for b in blocks if b > label.col and any(label.col < v < b for v in value_cols)])
            values = [c for c in row if label.col < c.col < nxt]
            out += self._labelled(table, r, label, values, headers, kind, total_concept)
        return out

    def _subtotals_named(self, labels: list[NCell], row) -> list[NCell]:
        """一般公共预算资金 | 小计 | 10,070.48: the 小计 is of the group the label before it names,
        not the table's total; the group's label reads the values."""
        out = []
        for label in labels:
            if out and label.text in self.rules["total_labels"] and not any(
                    out[-1].col < c.col < label.col and c.text for c in row):
                continue
            out.append(label)
        return out

    def _code(self, row, code_cols, state, headers) -> str | None:
        """The functional code of a row: one code column, or 类 | 款 | 项 columns (blanks inherit)."""
        split = {h.split(" ")[-1]: i for i, h in enumerate(headers) if h.split(" ")[-1] in ("类", "款", "项")}
        by_col = {c.col: c.text for c in row}
        if len(split) == 3:
            cls, kind, item = (by_col.get(split[k], "") for k in ("类", "款", "项"))
            if not (cls or kind or item) or not all(p.isdigit() for p in (cls, kind, item) if p):
                return None
            cls = cls or state["class"]
            if item and not kind and state["kind"]:
                kind = state["kind"][3:]
            code = (cls or "") + (kind or "") + (item or "")
        else:
            cells = [c for c in row if c.col in code_cols and c.text]
            code = "".join(c.text for c in cells)
            if not _is_function_code(code):
                # a merged header can sit a column off its data: take the row's first filled cell
                first = next((c for c in row if c.text), None)
                code = first.text if first is not None else ""
        if not _is_function_code(code):
            return None
        state["class"] = code[:3]
        state["kind"] = code[:5] if len(code) >= 5 else None
        return code

    def _amounts(self, table, r, values, headers) -> list[tuple[str, Amount, dict]]:
        """(role, amount, ref) for each value cell: role is main:<phase>, rate, or part:<header>."""
        cols = self.rules["columns"]
        out, seen_main = [], set()
        for c in values:
            number = parse_number(c.text)
            header = _at(headers, c.col)
            if number is None or cols["row_number"].search(header):
                continue
            ref = {"table": table.index, "row": r, "col": c.col, "page": table.page}
            if cols["change_amount"].search(header):
                out.append(("change_amount", self._money(c, number), ref))
                continue
            if cols["change_rate"].search(header):
                out.append(("change_rate", _percent(c, number), ref))
                continue
            if cols["rate"].search(header) and not cols["breakdown"].search(header):
                out.append(("rate", _percent(c, number), ref))
                continue
            phase = self._phase(header)
            # a phase's one column of each year (上年决算数 | 本年决算数: two years' figures); a second
            # one of the same year is a part of the first
            key = (phase, self._year(header))
            if key in seen_main or (cols["breakdown"].search(header) and seen_main):
                out.append((f"part:{header}", self._money(c, number), ref))
                continue
            seen_main.add(key)
            out.append((f"main:{phase}", self._money(c, number), ref))
        return out

    def _money(self, c: NCell, number: Decimal) -> Amount:
        scale, declared = self.interp._scale_at(c.start, since=self._table_from)
        return Amount(c.text, number * scale, "CNY", "money", scale, None, c.start, c.end,
                      unit_inferred=True, unit_declared=declared)

    def _phase(self, header: str) -> str:
        return self._named_phase(header) or self.interp.info.phase

    def _named_phase(self, header: str) -> str | None:
        """The phase a column header names (决算数, 预算数), else None: the document type's holds."""
        cols = self.rules["columns"]
        if cols["executed"].search(header):
            return "executed"
        if cols["budgeted"].search(header) and not header.startswith("一般公共预算"):
            return "budgeted"
        return None

    def _year(self, header: str) -> int | None:
        m = _YEAR.search(header)
        if m:
            return int(m.group(1))
        fiscal = self.interp.info.fiscal_year
        if fiscal is not None and _PRIOR_YEAR_COLUMN.match(header):
            return fiscal - 1            # 上年决算数 beside 本年决算数: the year before the document's
        return fiscal

    # ------------------------------------------------------------ figures
    def _term(self, text: str):
        stripped = _PERIOD.sub("", _OUTLINE.sub("", text))
        terms = self.lex.find_terms(stripped)
        if not terms:
            return None
        start, end, kind, ident = max(terms, key=lambda t: t[1] - t[0])
        rest = stripped[:start] + stripped[end:]
        if len(rest) > 3:
            return None              # the label says more than the term: a narrower figure
        if kind == "class" and rest and not _CLASS_REST.match(rest):
            return None              # 其他资金 is a source of money, not the class 其他支出
        return kind, ident

    def _whole_term(self, text: str):
        """The term that is the whole of ``text`` (公务用车运行费), not one inside it."""
        stripped = _OUTLINE.sub("", text)
        return next(((kind, ident) for start, end, kind, ident in self.lex.find_terms(stripped)
                     if start == 0 and end == len(stripped)), None)

    def _labelled(self, table, r, label, values, headers, kind, total_concept) -> list:
        amounts = self._amounts(table, r, values, headers)
        if not amounts:
            return []
        if label.text in self.rules["total_labels"]:
            subtotal = label.text in self.rules["subtotal_labels"] and self._grand_total
            term = ("concept", total_concept) if total_concept and not subtotal else None
        else:
            term = self._term(label.text)
            if term and term[1] in self.rules["generic_totals"] and total_concept:
                term = ("concept", total_concept)     # 收入总计 in the 财政拨款 table is that table's total
        if term is None or not self._allowed(kind, term):
            return []
        out = []
        for role, amount, ref in amounts:
            if not role.startswith("main:"):
                continue
            phase = role[5:]
            fig = self._figure(term, label, amount, ref, phase, _at(headers, ref["col"]))
            if fig is not None:
                fig.phase_stated = self._named_phase(_at(headers, ref["col"])) is not None
                rate = next((a for ro, a, _ in amounts if ro == "rate"), None)
                if rate is not None and phase == "executed":
                    fig.completion = rate
                out.append(fig)
        self._column_change(out, amounts)
        if term == ("concept", total_concept) and kind in _COLUMNS_ARE_TERMS:
            self._kind_now = kind
            out += self._part_columns(label, amounts)
        return out

    def _column_change(self, figures, amounts) -> None:
        """The row's change columns (增、减金额 | 增、减幅度) are the change of its figure of the later
        year against the earlier one, when the row gives the two years' figures of one phase."""
        changed = {role: a for role, a, _ in amounts if role in ("change_amount", "change_rate")}
        years = sorted({f.fiscal_year for f in figures if f.fiscal_year is not None})
        if not changed or len(years) != 2 or len({f.phase for f in figures}) != 1:
            return
        later = next(f for f in figures if f.fiscal_year == years[1])
        if later.change is not None:
            return
        from .changes import Change
        signed = changed.get("change_amount") or changed.get("change_rate")
        direction = "flat" if signed.value == 0 else "increase" if signed.value > 0 else "decrease"
        amount, rate = changed.get("change_amount"), changed.get("change_rate")
        later.change = Change(amount=abs(amount.value) if amount else None, rate=abs(rate.value) if rate else None,
                              direction=direction, compared_year=years[0], compared_phase=later.phase,
                              evidence=(min(a.start for a in changed.values()), max(a.end for a in changed.values())),
                              amount_q=amount, rate_text=rate.text.lstrip("-−+") if rate else None,
                              phase_stated=later.phase_stated)

    def _names_grand_total(self, text: str) -> bool:
        """合计, 总计 or a grand-total term (收入总计): a row that totals the whole table."""
        if text in self.rules["total_labels"]:
            return text not in self.rules["subtotal_labels"]
        term = self._term(text) if text and parse_number(text) is None else None
        return bool(term and term[1] in self.rules["generic_totals"])

    def _allowed(self, kind: str | None, term) -> bool:
        """A table speaks only of its own concepts: 公务接待费 in a 基本支出 table is an economic
        classification row, not the 三公 figure."""
        named = self._named_now
        allowed = named.concepts if named is not None and named.type == kind and named.concepts \
            else self.rules["allowed"].get(kind)          # the statement's own list, else its type's
        if allowed is None:
            return True
        return term[0] == "class" and "line_item.class" in allowed or term[0] == "concept" and term[1].startswith(allowed)

    def _part_columns(self, label, amounts) -> list:
        out = []
        for role, amount, ref in amounts:
            if role.startswith("part:"):
                term = self._term(role[5:].split(" ")[-1])
                if term and term[0] == "concept" and self._allowed(self._kind_now, term):
                    fig = self._figure(term, label, amount, ref, self.interp.info.phase, role[5:])
                    if fig is not None:
                        fig.phase_stated = False
                        out.append(fig)
        return [f for f in out if f is not None]

    def _header_term_text(self, parts: list[str]) -> str:
        """The header words that name the column's term. A sub-header without a term of its own
        takes its parent's head: 运行费 under 公务用车购置及运行费 is 公务用车运行费."""
        child = parts[-1]
        if self._term(child):
            return child
        for parent in reversed(parts[:-1]):
            if not self._term(parent):
                continue
            if child in self.rules["total_labels"]:
                return parent                       # 小计 under a term is that term
            for i in range(len(parent) - 1, 0, -1):
                candidate = parent[:i] + child
                whole = self._whole_term(candidate)
                if whole and whole != self._term(parent):
                    return candidate
            return parent
        return child

    def _phase_row(self, table, r, row, headers, label, m, total_concept) -> list:
        """A row named 预算数 or 决算数 (or not named at all) under columns named by terms: a 三公
        table laid out across. A header's words after the term (小计) do not hide it."""
        named = m is not None and (m.group("b") or m.group("e"))
        phase = ("budgeted" if m.group("b") else "executed") if named else self.interp.info.phase
        year = int(m.group("y")) if m is not None and m.group("y") else None
        out = []
        for c in row:
            number = parse_number(c.text)
            if (label is not None and c.col == label.col) or number is None or c.col >= len(headers):
                continue
            header = self._header_term_text(headers[c.col].split(" "))
            term = ("concept", total_concept) if header in self.rules["total_labels"] and total_concept else self._term(header)
            if term and self._allowed(self._kind_now, term):
                ref = {"table": table.index, "row": r, "col": c.col, "page": table.page}
                fig = self._figure(term, c, self._money(c, number), ref, phase, header)
                if fig:
                    fig.phase_stated = bool(named)
                    if year is not None:
                        fig.fiscal_year = year
                    out.append(fig)
        return _unambiguous(out)

    def _figure(self, term, label, amount, ref, phase, header):
        from .interpret import Figure
        kind, ident = term
        year = self._year(header)
        self.interp.used.add(amount.start)
        self.interp.extra.append(amount)
        if kind == "concept":
            concept = self.lex.concepts[ident]
            if concept.unit != "CNY":
                return None
            from .interpret import side_of
            return Figure("fact", amount, amount.value, "CNY", label.start, amount.end, year, phase, ident,
                          unit_inferred=True, table_ref=ref, side=side_of(label.text))
        row = self.lex.classification.by_code[ident]
        return Figure("line_item", amount, amount.value, "CNY", label.start, amount.end, year, phase,
                      unit_inferred=True, table_ref=ref,
                      line={"level": "class", "class": row.name, "kind": None, "item": None,
                            "function_code": row.code, "cofog": row.cofog, "code_source": "lexicon"})

    def _line_item(self, table, r, row, headers, code, name_cell, names) -> list:
        from .interpret import Figure
        values = [c for c in row if name_cell is None or c.col > name_cell.col]
        amounts = self._amounts(table, r, values, headers)
        c = self.lex.classification
        known = c.by_code.get(code)
        name = name_cell.text if name_cell else (known.name if known else None)
        level = {3: "class", 5: "kind", 7: "item"}[len(code)]

        def name_of(prefix: str) -> str | None:
            row_ = c.by_code.get(prefix)           # the classification's name, else the table's own
            return c.standard_name(row_, names.get(prefix)) if row_ else names.get(prefix)
        cls = c.by_code.get(code[:3])
        line = {"level": level,
                "class": name_of(code[:3]) if level != "class" else (cls.name if cls else name),
                "kind": (name_of(code[:5]) if level == "item" else name) if len(code) >= 5 else None,
                "item": name if level == "item" else None,
                "function_code": code, "cofog": cls.cofog if cls else None, "code_source": "document",
                "name_in_lexicon": known.name if known else None}
        start = min(x.start for x in row if x.text)
        out = []
        rate = next((a for ro, a, _ in amounts if ro == "rate"), None)
        for role, amount, ref in amounts:
            if not role.startswith("main:"):
                continue
            self.interp.used.add(amount.start)
            self.interp.extra.append(amount)
            fig = Figure("line_item", amount, amount.value, "CNY", start, amount.end,
                         self._year(_at(headers, ref["col"])), role[5:],
                         unit_inferred=True, table_ref=ref, line=dict(line),
                         phase_stated=self._named_phase(_at(headers, ref["col"])) is not None)
            if rate is not None and role == "main:executed":
                fig.completion = rate
            out.append(fig)
        return out


_COLUMNS_ARE_TERMS = {"expenditure", "revenue", "basic", "three_public", "procurement"}


_CHANGE_LABEL = re.compile(r"^(?P<y>(?:19|20)\d{2})年?度?(?:比|较|与)(?P<c>(?:19|20)\d{2})年?度?(?:相比)?(?:增减|增长|变动)(?:率|幅度)?[%％]?$")


def _percent(c: NCell, number: Decimal) -> Amount:
    """A rate cell (88.7 under 完成%): the fraction."""
    return Amount(c.text, number / 100, "%", "percent", Decimal(1), None, c.start, c.end)


_PRIOR_YEAR_COLUMN = re.compile(r"(?:上年|上年度|去年)(?:决算|预算|执行|实际)")


def _change_row(row) -> tuple[int, int] | None:
    """(year, compared year) of a row named like 2016年比2015年增减%."""
    label = next((c for c in row if c.text), None)
    m = _CHANGE_LABEL.match(label.text) if label is not None else None
    return (int(m.group("y")), int(m.group("c"))) if m else None


def _spans_lost(header, body) -> bool:
    """A table copied as text from a page whose merged header cells collapsed: a header row's
    words bunched at its left with blanks after them, above a row that fills more columns. Which
    column a value is under is then not known, so the table is not read."""
    if len(header) < 2:
        return False
    fuller = max((sum(1 for c in r if c.text) for r in [*header[1:], *body[:3]]), default=0)
    for row in header[:-1]:
        filled = [c.col for c in row if c.text]
        if not filled:
            continue
        trailing = len(row) - 1 - filled[-1]
        if trailing >= 2 and filled == list(range(len(filled))) and len(filled) < fuller:
            return True
    return False


def _last_header_complete(header, body) -> bool:
    """The header's last row names a column over every value of the rows under it (项目 | 预算数 |
    项目 | 合计 | 一般公共预算 …), whatever collapsed above it (收入 | 支出 bunched at the left)."""
    if not header:
        return False
    last = [c.col for c in header[-1] if c.text]
    if len(last) < 2 or last != list(range(len(last))):
        return False
    widest = max((max((c.col for c in r if c.text), default=-1) for r in body[:5]), default=-1)
    return widest <= last[-1]


def _group_expanded(header, body, subtotal_words: set[str]) -> list[str] | None:
    """The leaf headers of a two-row header whose merged cells collapsed to the left, when one cell
    of the upper row is a group whose parts are the lower row (合计 | 因公出国(境)费 | 公务用车费 |
    公务接待费 over 小计 | 公务用车运行维护费 | 公务用车购置费): the group is the one upper cell whose
    name begins the lower cells' names the furthest, its 小计 column takes the group's name, and every row of
    values fills exactly the leaves. Else None: which column a value is under is not known."""
    rows = [[c.text for c in r if c.text] for r in header if _header_row(r)]
    if len(rows) < 2:
        return None
    upper, lower = rows[-2], rows[-1]
    width = len(upper) - 1 + len(lower)
    valued = [row for row in body[:5] if any(parse_number(c.text) is not None for c in row if c.text)]
    if not valued or any([c.col for c in row if c.text] != list(range(width)) for row in valued):
        return None
    parts = lower[1:] if lower[0] in subtotal_words else lower
    if not parts:
        return None
    stems = sorted(((len(_shared_start(name, parts)), i) for i, name in enumerate(upper)), reverse=True)
    if stems[0][0] < 3 or (len(stems) > 1 and stems[1][0] == stems[0][0]):
        return None             # no cell, or two, whose name the parts' names begin with (公务 alone is no group)
    g = stems[0][1]
    leaves = ([upper[g]] if lower[0] in subtotal_words else []) + parts
    return upper[:g] + leaves + upper[g + 1:]


def _last_group_expanded(header, body) -> list[str] | None:
    """The leaf headers of a two-row header whose last upper cell spans the columns its empty cells
    leave (项目 | 上年决算数 | 本年决算数 | 比上年增、减情况 | — over 增、减金额 | 增、减幅度): the lower row,
    bunched at the left, is that cell's parts when it has as many cells as the cell spans and every
    row of values fills exactly the leaves. Else None."""
    rows = [r for r in header if _header_row(r)]
    if len(rows) < 2:
        return None
    upper, lower = rows[-2], [c.text for c in rows[-1] if c.text]
    filled = [c.col for c in upper if c.text]
    if not filled or filled != list(range(len(filled))) or len(lower) < 2:
        return None
    spanned = len(upper) - len(filled) + 1          # the last filled cell and the empty ones after it
    if len(lower) != spanned or [c.col for c in rows[-1] if c.text] != list(range(len(lower))):
        return None
    width = len(filled) - 1 + len(lower)
    valued = [row for row in body[:5] if any(parse_number(c.text) is not None for c in row if c.text)]
    if not valued or any([c.col for c in row if c.text] != list(range(width)) for row in valued):
        return None
    names = [c.text for c in upper if c.text]
    return names[:-1] + [f"{names[-1]} {leaf}" for leaf in lower]


def _shared_start(name: str, others: list[str]) -> str:
    """The longest start that ``name`` shares with every one of ``others``."""
    stem = name
    for other in others:
        while stem and not other.startswith(stem):
            stem = stem[:-1]
    return stem


def _is_function_code(text: str) -> bool:
    return len(text) in (3, 5, 7) and text.isdigit() and text.startswith("2")


def _unambiguous(figures: list) -> list:
    """Figures of one row: a concept two columns give with different values means the headers
    were not read right (a header grid pdfplumber cut apart), so neither is kept."""
    values = {}
    for f in figures:
        values.setdefault((f.kind, f.concept, f.fiscal_year, f.phase), set()).add(f.value)
    return [f for f in figures if len(values[(f.kind, f.concept, f.fiscal_year, f.phase)]) == 1]


def _header_row(row: list[NCell]) -> bool:
    """Not a caption above the header: a caption or 单位 line fills one cell at the left, and a
    部门：… 单位：万元 line names the department; a lone cell further right is a header's (a word
    wrapped onto its own line of a merged header cell)."""
    filled = [c for c in row if c.text]
    if any(statement_rules()["caption_end"].search(c.text) for c in filled):
        return False
    return len(filled) > 1 or (len(filled) == 1 and filled[0].col >= 2)


def _continued(headers: list[str], width: int) -> list[str]:
    """The headers of a table that goes on from the one before without headers of its own (a page
    break): the same, or, for a narrower row whose label spans the code columns (合计 | 156,211,123 |
    99,706,020 | 56,505,103 under 类 | 款 | 项 | 名称 | 合计 | 基本支出 | 项目支出), the last ones."""
    if width >= len(headers):
        return headers + [""] * (width - len(headers))
    return headers[len(headers) - width:]


def _header_columns(rows) -> set[int]:
    """The columns whose header cell has text (caption rows aside)."""
    return {c.col for row in rows if _header_row(row) for c in row if c.text}


def _aligned(row: list[NCell], header_cols: set[int]) -> list[NCell]:
    """A row of numbers alone whose cells all stand one column beside the header cells (merged
    header cells that pdfplumber puts a column off): each value under its header."""
    filled = [c for c in row if c.text]
    cols = {c.col for c in filled}
    if not filled or not header_cols or cols <= header_cols or any(parse_number(c.text) is None for c in filled):
        return row
    for shift in (1, -1):
        if {col + shift for col in cols} <= header_cols:
            return [NCell(c.text, c.start, c.end, c.col + shift) for c in filled]
    return row


def _basis_of(header: str) -> str | None:
    return next((basis for pattern, basis in statement_rules()["basis"] if pattern.search(header)), None)


def _printed_name(caption: str) -> str:
    """The statement's name as its caption prints it, without its number and the 部门/单位 lines."""
    rules = statement_rules()
    name = rules["caption_end"].split(caption, maxsplit=1)[0]
    labels = list(rules["label"].finditer(name))
    if labels and labels[-1].end() < len(name):
        name = name[labels[-1].end():]      # a title joined before the number: 某县2021年决算 公开05表 …
    name = rules["label"].sub("", name)
    return re.sub(r"\s+", "", name).strip(" |:：") or caption.strip()


def _at(headers: list[str], col: int) -> str:
    return headers[col] if col < len(headers) else ""


def _looks_like_code(text: str) -> bool:
    return text.isdigit() and len(text) in (2, 3, 4, 5, 7)
