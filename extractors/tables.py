"""One table model for every format: rows of cells, each cell with offsets into the text.

Decoders build the document text with :class:`TextBuilder`, which renders each table as
``| a | b |`` lines, so a table's cells are part of the text and every cell value has an
evidence span like any other figure.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .normalize import needs_normalizing, squashed, to_simplified

MAX_CELLS = 200_000


@dataclass
class Cell:
    text: str
    start: int
    end: int


@dataclass
class Table:
    index: int
    rows: list[list[Cell]]
    start: int
    end: int
    page: int | None = None
    source: str = "text"
    ocr: bool = False
    implied: list[str] | None = None    # column headers the text left out, from the table's standard form

    def to_dict(self) -> dict:
        out = {"index": self.index, "page": self.page, "source": self.source, "ocr": self.ocr,
               "start": self.start, "end": self.end,
               "rows": [[c.text for c in row] for row in self.rows]}
        if self.implied:
            out["implied_headers"] = self.implied
        return out


_INNER_BREAK = re.compile(r"\s*\n\s*")


def clean_cell(text) -> str:
    """A cell's text on one line: breaks inside CJK words vanish, others become a space."""
    if text is None:
        return ""
    text = str(text).strip()
    if "\n" in text or "|" in text:
        text = _INNER_BREAK.sub(lambda m: _join(text, m), text).replace("|", "｜")
    return text


def _join(text: str, m: re.Match) -> str:
    before = text[m.start() - 1] if m.start() else ""
    after = text[m.end()] if m.end() < len(text) else ""
    return "" if ("\u4e00" <= before <= "\u9fff" or "\u4e00" <= after <= "\u9fff") else " "


def kept_rows(rows: list[list]) -> list[int]:
    """The rows a table keeps: those with a cell that is not blank once cleaned."""
    return [i for i, row in enumerate(rows) if any(clean_cell(c) for c in row)]


@dataclass
class TextBuilder:
    """Builds a document's text from paragraphs and tables, in reading order."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    tables: list[Table] = field(default_factory=list)
    cells: int = 0

    def paragraph(self, text: str) -> None:
        text = (text or "").rstrip()
        if text:
            self._add(text + "\n")

    def table(self, rows: list[list], page: int | None = None, source: str = "text", ocr: bool = False) -> Table | None:
        rows = [[clean_cell(c) for c in rows[i]] for i in kept_rows(rows)]
        if not rows:
            return None
        self.cells += sum(len(r) for r in rows)
        if self.cells > MAX_CELLS:
            from .errors import Errors, ExtractionError
            raise ExtractionError(Errors.E004, f"more than {MAX_CELLS} table cells")
        start = self.length
        grid = []
        for row in rows:
            cells = []
            self._add("|")
            for text in row:
                self._add(" ")
                cells.append(Cell(text, self.length, self.length + len(text)))
                self._add(text + " |")
            self._add("\n")
            grid.append(cells)
        table = Table(len(self.tables), grid, start, self.length, page, source, ocr)
        self.tables.append(table)
        return table

    def _add(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def text(self) -> str:
        return "".join(self.parts)


_PIPE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.M)
# a row copied from a page without its leading bar: 一、本年收入 | 78.50 | 一、本年支出 |
_OPEN_ROW = re.compile(r"^[ \t]*([^|\s][^\n]*?\|[^\n]*?)\|[ \t]*$", re.M)
# one cell of a row stacked one cell per line: 4,194.89 | (its bar), 0.00 | ||| (the row's last)
_CUT_TAIL = 40          # at most this much text after a stacked row's last cell when the text was cut there
_STACKED_CELL = re.compile(r"^[ \t]*(?P<cell>[^|\s](?:[^|\n]*[^|\s])?)[ \t]*(?P<tail>\|[ \t|]*)$", re.M)


def text_tables(text: str, line_rules: dict | None = None) -> list[Table]:
    """The tables of a plain text: ``| a | b |`` rows, and tables flattened one cell per line."""
    tables = pipe_tables(text)
    if line_rules and line_rules["opening"].search(to_simplified(text)):
        spans = [(t.start, t.end) for t in tables]
        for t in line_tables(text, line_rules["label_header"], line_rules["value_header"], line_rules["max_cell_chars"],
                             line_rules.get("implied", ())):
            if not any(a < t.end and t.start < b for a, b in spans):
                tables.append(t)
        tables.sort(key=lambda t: t.start)
        for i, t in enumerate(tables):
            t.index = i
    return tables


def pipe_tables(text: str) -> list[Table]:
    """Tables written in plain text as ``| a | b |`` lines (a flattened table, or our own rendering)."""
    if "|" not in text:
        return []
    tables, current, start, last_end = [], [], None, None
    for row_start, row_end, cells in _pipe_rows(text):
        if not any(c.text for c in cells):
            continue                       # a line of bars only: no row
        if current and (text[last_end:row_start].strip("\r\n") != "" or text.count("\n", last_end, row_start) > 1
                        or _caption_row(cells)):
            tables.append(Table(len(tables), current, start, last_end, source=_pipe_source(text, start, last_end)))
            current = []
        if not current:
            start = row_start
        current.append(cells)
        last_end = row_end
    if current:
        tables.append(Table(len(tables), current, start, last_end, source=_pipe_source(text, start, last_end)))
    return tables


def _caption_row(cells: list[Cell]) -> bool:
    """A row whose one cell is a table's caption (施甸县2016年“三公”经费决算情况统计表 | ||||): the rows
    above it (a page's 索引号 | 发布机构 lines) are not its table."""
    filled = [c.text for c in cells if c.text]
    return len(filled) == 1 and _CAPTION.search(filled[0]) is not None


def _pipe_rows(text: str) -> list[tuple[int, int, list[Cell]]]:
    """Each row as (start, end, cells): a line of bars, or the lines of one stacked row."""
    stacked = _stacked_rows(text)
    starts = [a for a, _, _ in stacked]

    def within(pos: int) -> bool:
        k = bisect_right(starts, pos) - 1
        return k >= 0 and pos < stacked[k][1]
    rows = [(m.start(), m.end(), _pipe_cells(m)) for m in [*_PIPE_ROW.finditer(text), *_OPEN_ROW.finditer(text)]
            if not (stacked and within(m.start()))]
    return sorted(rows + stacked, key=lambda r: r[0])


def _stacked_rows(text: str) -> list[tuple[int, int, list[Cell]]]:
    """A table copied one cell per line, each cell followed by its bar, and each row's last cell by
    the bars of the row's empty cells (一、一般公共预算财政拨款收入 |⏎1 |⏎4,194.89 |⏎…⏎0.00 | |||): the
    lines up to such a row end are one row. Runs without two such rows of values are left alone."""
    out, run = [], []
    for m in _stacked_cells(text):
        if run and text[run[-1].end():m.start()] != "\n":
            out += _stacked_run(run, cut=False)
            run = []
        run.append(m)
    # a text cut inside the run's last row (…五、教育支出 |⏎3): that row's cells are a row too
    rest = text[run[-1].end() + 1:].rstrip() if run else ""
    cut = bool(run) and len(rest) <= _CUT_TAIL and "\n" not in rest
    return out + _stacked_run(run, cut)


def _stacked_cells(text: str):
    """The lines that are one cell and its bars (only lines ending in a bar are tried)."""
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.rstrip(" \t\r").endswith("|"):
            m = _STACKED_CELL.match(text, pos, end)
            if m is not None:
                yield m
        pos = end + 1


def _stacked_run(lines: list[re.Match], cut: bool) -> list[tuple[int, int, list[Cell]]]:
    ends = [i for i, m in enumerate(lines) if m.group("tail").count("|") >= 2]
    if len(ends) < 2:
        return []
    if cut and len(lines) - 1 - ends[-1] >= 2:
        ends.append(len(lines) - 1)
    rows, first = [], 0
    for last in ends:
        cells = [Cell(m.group("cell"), m.start("cell"), m.end("cell")) for m in lines[first:last + 1]]
        tail = lines[last]
        # the row's empty cells: one at each bar after the last cell's own
        bars = [tail.start("tail") + i for i, ch in enumerate(tail.group("tail")) if ch == "|"][1:]
        cells += [Cell("", at, at) for at in bars]
        rows.append((lines[first].start(), tail.end(), cells))
        first = last + 1
    valued = [r for r in rows if len(r[2]) >= 3 and any(NUMBER.match(c.text) for c in r[2][1:])]
    return rows if len(valued) >= 2 else []        # rows of labels and values, not a page's heading lines


def _pipe_source(text: str, start: int, end: int) -> str:
    """``text`` for | a | b | rows (our own rendering, or a table written so), ``pipes`` when a
    row was copied from a page without its leading bar (where merged header cells may have
    collapsed)."""
    lines = [line.lstrip(" \t") for line in text[start:end].split("\n") if line.strip(" \t|")]
    return "text" if all(line.startswith("|") for line in lines) else "pipes"


def _pipe_cells(m: re.Match) -> list[Cell]:
    cells, pos = [], m.start(1)
    for raw in m.group(1).split("|"):
        stripped = raw.strip()
        offset = raw.find(stripped) if stripped else 0
        cells.append(Cell(stripped, pos + offset, pos + offset + len(stripped)))
        pos += len(raw) + 1
    return cells


# ---------------------------------------------------------------- tables flattened one cell per line
# a cell that is a number (1,234.56, -16.77, 100%): the table reader's test of a value too
NUMBER = re.compile(r"^[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
_SUBTOTAL_WORDS = ("合计", "小计")          # after a header word, they make it a parent over the columns after it
_CAPTION = re.compile(r"[^\d\s]{4,}表$")
_NONE_CELLS = frozenset({"-", "—", "－", "--", "——", "/"})       # a cell of no value
_UNIT_LINE = re.compile(r"^[(（]?(?:金额)?单位[:：]")
_SPACES = re.compile(r"[ \t\u3000]+")
_EDGE = " \t\u3000|\r"
MAX_LINE_TABLE_ROWS = 2000


@dataclass
class _Line:
    text: str        # the cell's text, edges stripped
    start: int
    end: int
    key: str         # without spaces: 预 算 数 → 预算数

    @property
    def numeric(self) -> bool:
        """A number, or an empty cell (a value left blank, or a dash standing for none)."""
        return not self.key or self.key in _NONE_CELLS or bool(NUMBER.match(self.key))


def line_tables(text: str, label_header: re.Pattern, value_header: re.Pattern, max_cell: int = 40,
                implied=()) -> list[Table]:
    """Tables flattened one cell per line (blank lines and lone ``|`` between them): a header
    whose first cell is a label column word and whose others are value column words, then rows
    of a label and as many numbers as there are value columns. A row with fewer numbers has
    blank cells (which column a lone number belongs to is not known, so it is not guessed)."""
    cells = _cell_lines(text, max_cell)
    tables, i = [], 0
    while i < len(cells):
        found = _line_table(cells, i, label_header, value_header)
        columns = None
        if found is None:
            found, columns = _headerless_table(cells, i, label_header, implied)
        if found is None:
            i += 1
            continue
        rows, i = found
        first, last = rows[0][0], rows[-1][-1]
        tables.append(Table(0, rows, first.start, last.end, source="lines", implied=columns))
    return tables


def _headerless_table(cells, i, label_header, implied):
    """A caption of a standard form (一、2021年度“三公”经费财政拨款支出决算表) followed by rows of a
    label and numbers with the header left out of the text: the form's columns are the header,
    when every row has as many numbers as the form has value columns."""
    caption = cells[i]
    if caption is None or not caption.key:
        return None, None
    form = next((f for f in implied if f["caption"].search(caption.key)), None)
    if form is None:
        return None, None
    k = i + 1
    while k < len(cells) and cells[k] is not None and (not cells[k].key or cells[k].numeric or _UNIT_LINE.search(cells[k].key)):
        k += 1                       # the unit line, and numbers without a label (a 合计 row whose label is blank)
    rows, end = _line_rows(cells, k, label_header, 0)
    width = len(form["columns"])
    rows = [r for r in rows if len(r) == width or len(r) == 1]
    if sum(1 for r in rows if len(r) == width) < 2:
        return None, None
    return ([[Cell(c.text, c.start, c.end) for c in r] for r in rows], end), list(form["columns"])


def _cell_lines(text: str, max_cell: int) -> list[_Line | None]:
    """Each line that can be a cell; None where prose (or a pipe row) breaks a run of cells. A
    lone ``|`` separates cells, unless the cells end with a bar of their own (``20 |``): there a
    lone bar is an empty cell."""
    out: list[_Line | None] = []
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append((raw, pos))
        pos += len(raw) + 1
    shorts = [raw.rstrip(" \t\r") for raw, _ in lines if 0 < len(raw.strip(_EDGE)) <= max_cell]
    barred = sum(1 for raw in shorts if raw.endswith("|")) * 2 > len(shorts)
    for raw, start in lines:
        if len(raw) > 3 * max_cell:               # prose: no cell, whatever its edges
            if out and out[-1] is not None:
                out.append(None)
            continue
        stripped = raw.strip(_EDGE)
        if not stripped:
            if barred and "|" in raw and out and out[-1] is not None:
                out.append(_Line("", start + raw.find("|"), start + raw.find("|"), ""))
            continue                              # a blank line or a lone | separates cells
        if len(stripped) > max_cell or "|" in stripped or "。" in stripped:
            if out and out[-1] is not None:
                out.append(None)
            continue
        offset = start + raw.find(stripped)
        key = _SPACES.sub("", stripped)
        if not key.isascii() and needs_normalizing(key):
            key = squashed(stripped)
        out.append(_Line(stripped, offset, offset + len(stripped), key))
    return out


def _line_table(cells, i, label_header, value_header):
    head = cells[i]
    if head is None or not head.key or not label_header.search(head.key):
        return None
    words, j = [], i
    while j < len(cells) and cells[j] is not None and (not cells[j].key or not cells[j].numeric):
        if cells[j].key:
            words.append(j)
            if len(words) >= 4 and _blank_row_after(cells, j, len(words) - 2):
                j += 1              # 合计 |⏎|⏎|⏎| under a header of three value columns: the first row
                break
        j += 1
    # words are the header and the first row's label; cells[j] is the first number (or blank value)
    if j >= len(cells) or cells[j] is None or len(words) < 3:
        return None
    header = [cells[n] for n in words[:-1]]
    if not any(value_header.search(c.key) for c in header[1:]):
        return None
    columns = len(header) - len(_parents(header))
    # a lone bar between the header and the first row separates rows: it is never an empty cell
    separators = any(not cells[n].key for n in range(words[-2] + 1, words[-1]))
    rows, k = _line_rows(cells, words[-1], label_header, 0 if separators else columns)
    width = _row_width(rows)
    if width < 2 or len(rows) < 2:
        return None
    header_rows = _header_grid(header, width)
    if header_rows is None:
        return None
    body = [_padded(r, width) for r in rows]
    if any(r is None for r in body):
        return None
    return header_rows + body, k


def _blank_row_after(cells, j: int, values: int) -> bool:
    """Whether the word at ``j`` is followed by exactly ``values`` blank cells and then the next
    row's label (or the run's end): a row of a table whose values are all left blank."""
    after = cells[j + 1:j + 2 + values]
    blanks = after[:values]
    if len(blanks) < values or any(c is None or c.key for c in blanks):
        return False
    nxt = after[values] if len(after) > values else None
    return nxt is None or (bool(nxt.key) and not nxt.numeric)


def _line_rows(cells, k, label_header, columns: int):
    """Rows of a label and its numbers. An empty cell (a lone bar where cells end with bars)
    is a blank value while the row is short of the header's ``columns`` (0: bars separate rows)."""
    rows = []
    while k < len(cells) and len(rows) < MAX_LINE_TABLE_ROWS:
        label = cells[k]
        if label is not None and not label.key:
            k += 1                               # a separator before the row
            continue
        if label is None or label.numeric or label_header.search(label.key):
            break
        values = []
        k += 1
        while k < len(cells) and cells[k] is not None and cells[k].numeric:
            if cells[k].key or len(values) + 1 < columns:
                values.append(cells[k])
            k += 1
        rows.append([label, *values])
    while rows and len(rows[-1]) == 1:      # labels after the last number: a heading, not a row
        rows.pop()
        k -= 1
    return rows, k


def _row_width(rows) -> int:
    """Columns of the table: the widest row that more than one row fills."""
    widths = [len(r) for r in rows if len(r) > 1]
    full = [w for w in set(widths) if widths.count(w) > 1]
    return max(full) if full else (widths[0] if len(widths) == 1 else 0)


def _padded(row, width):
    """A row with its numbers, or, when they are fewer than the columns, its label only."""
    if len(row) > width:
        return None
    cells = [Cell(c.text, c.start, c.end) for c in row]
    if len(row) < width:
        cells = cells[:1]
    return cells


def _repeated_children(header, width) -> list[list[Cell]] | None:
    """项目 | 预算数 | 决算数 | 合计 | 一般公共预算 | 政府性基金 | 合计 | 一般公共预算 | 政府性基金: p
    parents, then one run of children repeated under each of them."""
    words = header[1:]
    for p in range(2, len(words) // 2 + 1):
        rest = words[p:]
        if len(rest) % p or 1 + len(rest) != width:
            continue
        c = len(rest) // p
        runs = [[w.key for w in rest[i * c:(i + 1) * c]] for i in range(p)]
        if c < 2 or any(r != runs[0] for r in runs):
            continue
        top = [Cell(header[0].text, header[0].start, header[0].end)]
        bottom = [Cell("", header[0].start, header[0].start)]
        for i, parent in enumerate(words[:p]):
            for j, child in enumerate(rest[i * c:(i + 1) * c]):
                top.append(Cell(parent.text, parent.start, parent.end) if j == 0 else Cell("", parent.end, parent.end))
                bottom.append(Cell(child.text, child.start, child.end))
        return [top, bottom]
    return None


def _parents(header) -> set[int]:
    """The header words followed by a total word (公车购置及运行维护费, 合计, 车辆购置 …)."""
    return {n for n in range(1, len(header) - 1) if header[n + 1].key in _SUBTOTAL_WORDS}


def _header_grid(header, width) -> list[list[Cell]] | None:
    """The header as one row, or as two when it has more words than the table has columns: a
    word followed by a total word (公车购置及运行维护费, 合计, 车辆购置 …) is a parent over the
    columns after it."""
    cells = [Cell(c.text, c.start, c.end) for c in header]
    if len(cells) == width:
        return [cells]
    repeated = _repeated_children(header, width)
    if repeated is not None:
        return repeated
    parents = _parents(header)
    if len(cells) - len(parents) != width:
        return None
    top, bottom, parent = [], [], None
    for n, cell in enumerate(cells):
        if n in parents:
            parent = cell
            continue
        blank = Cell("", cell.start, cell.start)
        if parent is None:
            top.append(cell)
            bottom.append(blank)
        else:
            top.append(parent if cells[n - 1] is parent else Cell("", parent.end, parent.end))
            bottom.append(cell)
    return [top, bottom]
