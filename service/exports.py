"""CSV and XLSX views of a stored result: facts, line items, findings. Decimal values stay
exact: as text in CSV; in XLSX as numbers only where the number is exactly the decimal, else as text."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

COLUMNS = {
    "facts": ["concept", "label", "value", "unit", "fiscal_year", "phase", "share", "budget_completion_rate",
              "change.amount", "change.rate", "change.direction", "change.compared_year", "evidence.text",
              "evidence.start", "evidence.end", "evidence.table", "evidence.page",
              "statement.id", "statement.name", "statement.label", "scope", "basis"],
    "line_items": ["function_code", "class", "kind", "item", "level", "amount", "fiscal_year", "phase", "share",
                   "budget_completion_rate", "cofog", "evidence.text", "evidence.start", "evidence.end",
                   "evidence.table", "evidence.page", "statement.id", "statement.name", "statement.label",
                   "scope", "basis"],
    "findings": ["rule", "severity", "message", "expected", "actual"],
}
NUMERIC = {"value", "amount", "share", "budget_completion_rate", "change.amount", "change.rate", "expected", "actual"}


def rows(result: dict, table: str) -> tuple[list[str], list[list]]:
    cols = COLUMNS[table]
    return cols, [[_get(r, c) for c in cols] for r in result[table]]


def _get(row: dict, path: str):
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutral(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``@SUM(A1)``, a
    leading tab or CR) gets a leading apostrophe (OWASP's CSV-injection advice); numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(cols: list[str], data) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(cols)
    writer.writerows([["" if v is None else neutral(v) for v in r] for r in data])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")      # a BOM, so that Excel reads UTF-8


def xlsx_bytes(title: str, cols: list[str], data) -> bytes:
    """Text is written as text, never as a formula (openpyxl would take ``=…`` for one)."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(cols)
    for r in data:
        sheet.append([_cell(c, v) for c, v in zip(cols, r)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_csv(result: dict, table: str) -> bytes:
    return csv_bytes(*rows(result, table))


def to_xlsx(result: dict, table: str) -> bytes:
    return xlsx_bytes(table, *rows(result, table))


def _cell(column: str, value):
    if value is None or column not in NUMERIC or not isinstance(value, str):
        return value
    try:
        exact = Decimal(value)
    except ArithmeticError:
        return value
    as_float = float(exact)
    return as_float if Decimal(repr(as_float)) == exact else value
