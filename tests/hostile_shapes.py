"""Hostile documents, made by code at test time (none is stored in the repository): each one is
shaped after an attack or a fault seen against the service, and each must end in a coded 4xx or a
result, within bounded time and memory."""
from __future__ import annotations

import io
import zipfile


def _pdf_page(width: float, height: float, text: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    if text:
        c.drawString(72, height - 72, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def huge_empty_page() -> bytes:
    """One empty page of 14,400 pt: rendered for OCR at 300 dpi it would be 3.6 billion pixels."""
    return _pdf_page(14_400, 14_400)


def large_empty_page() -> bytes:
    """One empty page of 5,000 pt: 4.3 GB at 300 dpi before the pixel cap."""
    return _pdf_page(5_000, 5_000)


def encrypted_pdf() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(100, 700, "2021 budget")
    c.save()
    return buf.getvalue()


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
              'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
              'relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxml'
              'formats-officedocument.wordprocessingml.document.main+xml"/></Types>')
DOCX_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
             '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def docx_with_a_huge_body(megabytes: int = 40) -> bytes:
    """A .docx whose document.xml inflates to ``megabytes`` at a ratio under the zip-bomb guard's
    (varied paragraphs): parsed whole it takes some twenty times that."""
    para = '<w:p><w:r><w:t>{}年本年收入合计{}万元。</w:t></w:r></w:p>'
    parts, size, i = [], 0, 0
    while size < megabytes * 2**20:
        piece = para.format(2000 + i % 30, i)
        parts.append(piece)
        size += len(piece.encode())
        i += 1
    body = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body>' + "".join(parts) + "</w:body></w:document>")
    return _zip({"[Content_Types].xml": DOCX_TYPES, "_rels/.rels": DOCX_RELS, "word/document.xml": body})


def xlsx_claiming_the_whole_sheet() -> bytes:
    """A small .xlsx whose dimension claims A1:XFD1048576, with one cell every 999 rows (each gap
    under the empty-row cut)."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目", "决算数"])
    for row in range(2, 1_048_576, 999):
        sheet.cell(row=row, column=1, value="x")
    buf = io.BytesIO()
    book.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b'<dimension ref="')
                end = data.index(b'"', start + 16)
                data = data[:start] + b'<dimension ref="A1:XFD1048576' + data[end:]
            z.writestr(info, data)
    return out.getvalue()


def renamed_executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 40


def zip_bomb(kind: str = "docx") -> bytes:
    marker = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open(marker, "w") as f:
            block = b"\x00" * (1 << 20)
            for _ in range(300):
                f.write(block)
    return buf.getvalue()


def numeral_run(chars: int = 200_000) -> bytes:
    return ("一二三四五六七八九十百千万亿" * chars)[:chars].encode()


def formula_rows() -> bytes:
    """A disclosure whose line names would run as formulas in a spreadsheet."""
    return ("2021年部门决算\n单位：万元\n| 科目编码 | 科目名称 | 决算数 |\n"
            "| 2010101 | =HYPERLINK(\"http://evil.example\",\"行政运行\") | 9.80 |\n"
            "| 2010102 | @SUM(A1) | 3.00 |\n").encode()


# name -> (bytes, file name, the codes allowed besides a result)
SHAPES = {
    "huge empty PDF page": (huge_empty_page, "page.pdf", {"E004", "E009"}),
    "large empty PDF page": (large_empty_page, "page.pdf", {"E004", "E009", "E008"}),
    "encrypted PDF": (encrypted_pdf, "locked.pdf", {"E006"}),
    "docx with a 40 MB body": (docx_with_a_huge_body, "big.docx", {"E004"}),
    "xlsx claiming A1:XFD1048576": (xlsx_claiming_the_whole_sheet, "sheet.xlsx", {"E004"}),
    "executable named .pdf": (renamed_executable, "report.pdf", {"E003"}),
    "zip bomb": (zip_bomb, "bomb.docx", {"E004"}),
    "200,000 numerals": (numeral_run, "long.txt", set()),
    "formula row names": (formula_rows, "rows.txt", set()),
}
