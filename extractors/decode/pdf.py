"""PDF with a text layer: each page's glyphs and ruling edges read by PDFium (pdf_page), its
tables found by pdfplumber's table finder on those edges, its lines outside the tables rebuilt from
the glyphs; tables stitched across pages. A PDF without a text layer goes to OCR."""
from __future__ import annotations

import bisect
import logging
import os
import re
import threading
from array import array
from dataclasses import dataclass

from pdfplumber.table import TableFinder, TableSettings
from pdfplumber.utils import extract_text
from pdfplumber.utils.text import DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE, LIGATURES

from ..errors import Errors, ExtractionError
from ..geometry import Geometry
from ..tables import TextBuilder, kept_rows
from . import Decoded
from .pdf_page import MIN_CHARS_PER_PAGE, PageLayout, read_page

MAX_PAGES = 500
_PAGE_NUMBER = re.compile(r"^\s*[-—]?\s*(?:第\s*)?\d{1,4}\s*(?:页)?\s*[-—]?\s*$|^\s*\d+\s*/\s*\d+\s*$")

logging.getLogger("pdfminer").setLevel(logging.ERROR)


def decode_pdf(data: bytes, progress=None) -> Decoded:
    """``progress(done, total)``: a page is done once its text is read, from its glyphs or, for a
    scanned page, by OCR."""
    import pypdfium2 as pdfium
    progress = progress or _no_progress
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except Exception as e:          # PdfiumError for damaged or encrypted files
            raise ExtractionError(Errors.E006, _why(e)) from None
        try:
            if len(pdf) > MAX_PAGES:
                raise ExtractionError(Errors.E004, f"{len(pdf)} pages; the limit is {MAX_PAGES}")
            layouts, readable = [], 0
            for i in range(len(pdf)):
                layouts.append(read_page(pdf, i))
                readable += not layouts[-1].scanned
                progress(readable, len(pdf))
            scanned = _scanned(layouts)
            progress(len(layouts) - len(scanned), len(layouts))
            ocr = _ocr(pdf, scanned, whole=len(scanned) == len(layouts),
                       read=lambda k: progress(len(layouts) - len(scanned) + k, len(layouts)))
        except ExtractionError:
            raise
        except Exception as e:
            raise ExtractionError(Errors.E006, _why(e)) from None
        finally:
            pdf.close()
    meta = {"pages": len(layouts)}
    if ocr:
        meta.update(ocr=True, ocr_pages=sorted(ocr))
    if scanned and not ocr:
        meta["unread_pages"] = scanned          # scanned pages, and no OCR on this machine
    return _render(_blocks(layouts, ocr), meta)


def _scanned(layouts: list[PageLayout]) -> list[int]:
    """The pages to read by OCR: those without a text layer that are an image. A document with
    hardly a glyph anywhere is read by OCR whole, whatever its pages are drawn with."""
    if sum(len(p.chars) for p in layouts) < MIN_CHARS_PER_PAGE * max(1, len(layouts)):
        return [p.number for p in layouts if len(p.chars) < MIN_CHARS_PER_PAGE]
    return [p.number for p in layouts if p.scanned]


def _no_progress(done: int, total: int) -> None:
    pass


def _ocr(pdf, numbers: list[int], whole: bool, read=None) -> dict[int, str]:
    """The OCR text of the scanned pages. Without Tesseract, a document of scanned pages only is
    refused (E009); one with a text layer elsewhere is read without its scanned pages."""
    if not numbers:
        return {}
    from .ocr import read_pages, tesseract_available
    if not tesseract_available():
        if not whole:
            return {}
        raise ExtractionError(Errors.E009, "this PDF has no text layer; OCR needs tesseract-ocr and tesseract-ocr-chi-sim")
    texts = read_pages(pdf, numbers, read)
    if whole and not any(t.strip() for t in texts.values()):
        raise ExtractionError(Errors.E009, "OCR found no text in this scanned PDF")
    return texts


_PDFIUM = threading.Lock()      # PDFium is not thread-safe: one document at a time per process


def _fresh_lock_after_fork() -> None:
    """A process forked while another of its parent's threads read a PDF would inherit the lock
    held, and wait on it for ever; the child has no such thread."""
    global _PDFIUM
    _PDFIUM = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)


def _why(e: Exception) -> str:
    if any("Password" in type(x).__name__ or "ncrypt" in type(x).__name__
           or "encrypt" in str(x).lower() or "password" in str(x).lower() for x in _chain(e)):
        return "the PDF is encrypted (it needs a password); send a copy without one"
    return f"the PDF cannot be read ({type(e).__name__})"


def _chain(e: BaseException):
    """The error, the errors it wraps in its args and the ones it was raised from."""
    seen = []
    todo = [e]
    while todo and len(seen) < 10:
        x = todo.pop()
        if x is None or x in seen:
            continue
        seen.append(x)
        todo += [a for a in getattr(x, "args", ()) if isinstance(a, BaseException)]
        todo += [x.__cause__, x.__context__]
    return seen


def _blocks(pages: list[PageLayout], ocr: dict[int, str]) -> list:
    """(page, top, kind, content) in reading order, for every page; a page read by OCR is its
    lines as Tesseract gives them. A text line is a :class:`Line`; a table is its rows of cell
    texts with each cell's page and box."""
    settings = TableSettings.resolve({})
    blocks = []
    for page in pages:
        if page.number in ocr:
            blocks += [(page.number, i, "text", line) for i, line in enumerate(ocr[page.number].splitlines())]
            continue
        found = TableFinder(page, settings).tables
        boxes = [t.bbox for t in found]
        outside = [c for c in page.chars if not _inside(c, boxes)] if boxes else page.chars
        items = [(line.top, "text", line) for line in lines_of(outside) if not _PAGE_NUMBER.match(line.text)]
        items += [(t.bbox[1], "table", (cell_texts(t, page), _cell_boxes(t, page.number))) for t in found]
        blocks += [(page.number, top, kind, content) for top, kind, content in sorted(items, key=lambda i: i[0])]
    return blocks


def _cell_boxes(table, page: int) -> list[list[tuple | None]]:
    return [[None if cell is None else (page, cell) for cell in row.cells] for row in table.rows]


def cell_texts(table, page: PageLayout) -> list[list[str | None]]:
    """The table's rows of cell texts, as pdfplumber's ``Table.extract`` gives them (a glyph belongs
    to the cell its centre falls in; a cell's glyphs read as pdfplumber's text extraction reads
    them), with the glyphs indexed by their vertical centre: the page's glyphs are not walked once
    for every row."""
    by_middle = sorted(((c["top"] + c["bottom"]) / 2, i) for i, c in enumerate(page.chars))
    middles = [m for m, _ in by_middle]
    rows = []
    for row in table.rows:
        _, top, _, bottom = row.bbox
        in_row = sorted(i for _, i in by_middle[bisect.bisect_left(middles, top):bisect.bisect_left(middles, bottom)])
        glyphs = [page.chars[i] for i in in_row]
        rows.append([None if cell is None else _cell_text(glyphs, cell) for cell in row.cells])
    return rows


def _cell_text(glyphs, cell) -> str:
    x0, top, x1, bottom = cell
    inside = [c for c in glyphs if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom]
    if not inside:
        return ""
    one_line = one_line_text(inside)
    return extract_text(inside) if one_line is None else one_line


def one_line_text(glyphs: list[dict]) -> str | None:
    """pdfplumber's text of upright glyphs whose tops lie within its tolerance (one line, the
    usual table cell), without the general word and line clustering: glyphs left to right, a new
    word at a space or a gap wider than the tolerance. None for any other set of glyphs."""
    if not all(c["upright"] for c in glyphs):
        return None
    tops = [c["top"] for c in glyphs]
    if max(tops) - min(tops) > DEFAULT_Y_TOLERANCE:
        return None
    words, word, last = [], [], None
    for c in sorted(glyphs, key=lambda c: c["x0"]):
        text = c["text"]
        if text.isspace():
            words.append(word)
            word, last = [], None
            continue
        if last is not None and (c["x0"] < last["x0"] or c["x0"] > last["x1"] + DEFAULT_X_TOLERANCE
                                 or abs(c["top"] - last["top"]) > DEFAULT_Y_TOLERANCE):
            words.append(word)
            word = []
        word.append(LIGATURES.get(text, text))
        last = c
    words.append(word)
    return " ".join("".join(w) for w in words if w)


@dataclass
class Line:
    """A line of text rebuilt from glyphs, with the left and right edge of each of its characters
    (``xs``: x0, x1 of the first, then of the second …), so that a span of it has a box."""
    top: float
    bottom: float
    text: str
    xs: array


def text_lines(chars, x_tolerance: float = 3.0) -> list[tuple[float, str]]:
    """(top, text) of each line (:func:`lines_of`)."""
    return [(line.top, line.text) for line in lines_of(chars, x_tolerance)]


def lines_of(chars, x_tolerance: float = 3.0) -> list[Line]:
    """Each line, rebuilt from the glyphs' positions. A glyph joins the line whose first glyph it
    overlaps vertically by at least half the lower of their heights, so that digits set in a
    smaller font a few points below the Chinese text stay in their sentence (a line-by-line text
    layer clustered by the glyphs' tops puts them on a line of their own). A line reads left to
    right; a gap wider than ``x_tolerance`` is a space; runs of white space are one space."""
    lines: list[list] = []          # [top, bottom, glyphs], by the first glyph's extent
    for ch in sorted((c for c in chars if c.get("upright", True)), key=lambda c: (c["top"], c["x0"])):
        top, bottom = ch["top"], ch["bottom"]
        for line in reversed(lines[-_OPEN_LINES:]):
            overlap = min(line[1], bottom) - max(line[0], top)
            if overlap >= 0.5 * min(bottom - top, line[1] - line[0]):
                line[2].append(ch)
                break
        else:
            lines.append([top, bottom, [ch]])
    out = []
    for top, _, glyphs in sorted(lines, key=lambda line: line[0]):
        line = _line(sorted(glyphs, key=lambda c: c["x0"]), x_tolerance)
        if line.text:
            out.append(line)
    return out


def _line(glyphs, x_tolerance: float) -> Line:
    """The line's text (its pieces joined, white space collapsed as ``" ".join(s.split())`` would)
    and the edges of each character it keeps."""
    text, xs, gap = [], array("d"), None
    for ch, x0, x1 in _pieces(glyphs, x_tolerance):
        if ch.isspace():
            gap = gap or (x0, x1)
            continue
        if gap is not None and text:
            text.append(" ")
            xs.extend(gap)
        gap = None
        text.append(ch)
        xs.extend((x0, x1))
    return Line(min((c["top"] for c in glyphs), default=0.0), max((c["bottom"] for c in glyphs), default=0.0),
                "".join(text), xs)


def _pieces(glyphs, x_tolerance: float):
    """(character, x0, x1) of the line left to right, with a space where glyphs stand apart."""
    last = None
    for c in glyphs:
        if last is not None and c["x0"] - last["x1"] > x_tolerance and not (c["text"] + last["text"]).isspace():
            yield " ", last["x1"], c["x0"]
        for ch in c["text"]:
            yield ch, c["x0"], c["x1"]
        last = c


_OPEN_LINES = 4      # a glyph is looked for among the last few lines only: lines come top to bottom


def _inside(obj, boxes) -> bool:
    x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
    y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _render(blocks, meta: dict) -> Decoded:
    builder, page_starts, geometry = TextBuilder(), [], Geometry()
    last_page = None
    for page, kind, content in _stitch(blocks):
        if page != last_page:
            page_starts.append((builder.length, page))
            last_page = page
        if kind == "text" and isinstance(content, Line):
            geometry.line(builder.length, page, content.top, content.bottom, content.xs)
            builder.paragraph(content.text)
        elif kind == "text":
            builder.paragraph(content)
        else:
            rows, boxes = content
            kept = kept_rows(rows)              # the builder's rows, each beside its cells' boxes
            table = builder.table([rows[i] for i in kept], page=page, source="pdf")
            for cells, row_boxes in zip(table.rows if table else (), [boxes[i] for i in kept]):
                for cell, box in zip(cells, row_boxes):
                    if box is not None and cell.text:
                        geometry.cell(cell.start, cell.end, *box)
    return Decoded(builder.text(), "application/pdf", tables=builder.tables, pages=page_starts, meta=meta,
                   geometry=geometry)


def _own_caption(rows) -> bool:
    """The table's first row is a caption naming a statement (财政拨款支出预算表 部门：… 单位：万元):
    a table of its own, not the page before's going on."""
    from ..table_reader import named_statement
    first = next((row for row in rows if any(row)), [])
    filled = [c for c in first if c]
    return len(filled) == 1 and named_statement(filled[0]) is not None


def _stitch(blocks) -> list:
    """A table that goes on at the top of the next page joins the one before it."""
    out, last_page = [], None
    for page, _top, kind, content in blocks:
        if kind == "table" and out and out[-1][1] == "table" and last_page == page - 1 \
                and len(content[0][0]) == len(out[-1][2][0][0]) and not _own_caption(content[0]):
            (rows, boxes), (previous, previous_boxes) = content, out[-1][2]
            skip = 1 if rows and rows[0] == previous[0] else 0        # a repeated header
            out[-1] = (out[-1][0], "table", (previous + rows[skip:], previous_boxes + boxes[skip:]))
            last_page = page
            continue
        out.append((page, kind, content))
        last_page = page
    return out
