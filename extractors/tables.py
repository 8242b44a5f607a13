"""One table model for every format: rows of cells, each cell with offsets into the text.

Decoders build the document text with :class:`TextBuilder`, which renders each table as
``| a | b |`` lines, so a table's cells are part of the text and every cell value has an
evidence span like any other figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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

    def to_dict(self) -> dict:
        return {"index": self.index, "page": self.page, "source": self.source, "ocr": self.ocr,
                "start": self.start, "end": self.end,
                "rows": [[c.text for c in row] for row in self.rows]}


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
        rows = [[clean_cell(c) for c in row] for row in rows]
        rows = [r for r in rows if any(r)]
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


def pipe_tables(text: str) -> list[Table]:
    """Tables written in plain text as ``| a | b |`` lines (a flattened table, or our own rendering)."""
    tables, current, start, last_end = [], [], None, None
    for m in _PIPE_ROW.finditer(text):
        if current and text[last_end:m.start()].strip("\r\n") != "" or (current and text.count("\n", last_end, m.start()) > 1):
            tables.append(Table(len(tables), current, start, last_end))
            current = []
        if not current:
            start = m.start()
        current.append(_pipe_cells(m))
        last_end = m.end()
    if current:
        tables.append(Table(len(tables), current, start, last_end))
    return tables


def _pipe_cells(m: re.Match) -> list[Cell]:
    cells, pos = [], m.start(1)
    for raw in m.group(1).split("|"):
        stripped = raw.strip()
        offset = raw.find(stripped) if stripped else 0
        cells.append(Cell(stripped, pos + offset, pos + offset + len(stripped)))
        pos += len(raw) + 1
    return cells
