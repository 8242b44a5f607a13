"""Word and Excel: .docx (python-docx), .xlsx (openpyxl), .xls (xlrd), and legacy .doc through
LibreOffice when it is installed."""
from __future__ import annotations

import io
import re
import shutil
from decimal import Decimal

from ..errors import Errors, ExtractionError
from ..tables import MAX_CELLS, TextBuilder
from . import Decoded
from .safety import check_zip
from .tools import job_dir, run_tool

MAX_EMPTY_ROWS = 1000       # a sheet that goes on empty this long has ended
CONVERT_TIMEOUT = 60


def decode_docx(data: bytes) -> Decoded:
    check_zip(data)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise ExtractionError(Errors.E006, f"the Word file cannot be read ({type(e).__name__})") from None
    builder = TextBuilder()
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            builder.paragraph(Paragraph(child, document).text)
        elif tag == "tbl":
            table = Table(child, document)
            builder.table([[cell.text for cell in row.cells] for row in table.rows], source="docx")
    return Decoded(builder.text(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   tables=builder.tables)


def decode_xlsx(data: bytes) -> Decoded:
    check_zip(data)
    import openpyxl
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:
        raise ExtractionError(Errors.E006, f"the Excel file cannot be read ({type(e).__name__})") from None
    builder = TextBuilder()
    try:
        for sheet in book.worksheets:
            # the cells the sheet holds, not the dimension it declares (a sheet may claim
            # A1:XFD1048576 and hold a cell every thousand rows)
            sheet.reset_dimensions()
            rows = _sheet_rows((_xlsx_cell(c) for c in row) for row in sheet.iter_rows())
            _sheet(builder, sheet.title, rows, "xlsx")
    finally:
        book.close()
    return Decoded(builder.text(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   tables=builder.tables, meta={"sheets": len(book.sheetnames)})


def decode_xls(data: bytes) -> Decoded:
    import xlrd
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as e:
        raise ExtractionError(Errors.E006, f"the Excel file cannot be read ({type(e).__name__})") from None
    builder = TextBuilder()
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        if sheet.nrows * max(sheet.ncols, 1) > MAX_CELLS * 5:
            raise ExtractionError(Errors.E004, f"sheet {sheet.name} has {sheet.nrows} × {sheet.ncols} cells")
        rows = _sheet_rows((_xls_cell(sheet.cell(r, c)) for c in range(sheet.ncols)) for r in range(sheet.nrows))
        _sheet(builder, sheet.name, rows, "xls")
    return Decoded(builder.text(), "application/vnd.ms-excel", tables=builder.tables,
                   meta={"sheets": book.nsheets})


def decode_doc(data: bytes) -> Decoded:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise ExtractionError(Errors.E010, "legacy .doc needs LibreOffice (libreoffice-writer) to convert it; "
                                           "send .docx or PDF instead")
    with job_dir() as tmp:
        source = tmp / "input.doc"
        source.write_bytes(data)
        run_tool([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                  "--convert-to", "docx", "--outdir", str(tmp), str(source)], tmp,
                 timeout=CONVERT_TIMEOUT, what="LibreOffice's conversion of the .doc")
        converted = tmp / "input.docx"
        if not converted.exists():
            raise ExtractionError(Errors.E006, "LibreOffice could not convert this .doc")
        decoded = decode_docx(converted.read_bytes())
    decoded.media_type = "application/msword"
    decoded.meta["converted_with"] = "libreoffice"
    return decoded


# ---------------------------------------------------------------- sheets
def _sheet_rows(rows):
    """Rows as lists of strings, trailing empties cut, ending after a long empty run."""
    out, empty, cells = [], 0, 0
    for row in rows:
        values = list(row)
        while values and not values[-1]:
            values.pop()
        if not values:
            empty += 1
            if empty >= MAX_EMPTY_ROWS:
                break
            continue
        empty = 0
        cells += len(values)
        if cells > MAX_CELLS:
            raise ExtractionError(Errors.E004, f"more than {MAX_CELLS} cells")
        out.append(values)
    return out


def _sheet(builder: TextBuilder, title: str, rows: list[list[str]], source: str) -> None:
    """Title rows (one filled cell) before the grid become paragraphs; the rest is the table."""
    builder.paragraph(title)
    i = 0
    while i < len(rows) and sum(1 for v in rows[i] if v) <= 1:
        builder.paragraph(next((v for v in rows[i] if v), ""))
        i += 1
    width = max((len(r) for r in rows[i:]), default=0)
    if width:
        builder.table([r + [""] * (width - len(r)) for r in rows[i:]], source=source)


_DECIMALS = re.compile(r"0\.(0+)")


def _number(value, decimals: int | None) -> str:
    if isinstance(value, bool):
        return str(value)
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if decimals is not None:
        return f"{d:.{decimals}f}"
    text = format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))
    return text


def _xlsx_cell(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = getattr(cell, "number_format", "") or ""
        m = _DECIMALS.search(fmt)
        return _number(value, len(m.group(1)) if m else (0 if fmt.startswith("0") or "#,##0" in fmt and "." not in fmt else None))
    return str(value)


def _xls_cell(cell) -> str:
    import xlrd
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return _number(cell.value, None)
    return str(cell.value)
