"""PDF with a text layer (pdfplumber, one pass per page: lines outside tables, and the tables),
stitched across pages; a PDF without one goes to OCR."""
from __future__ import annotations

import io
import logging
import re

from ..errors import Errors, ExtractionError
from ..tables import TextBuilder
from . import Decoded

MAX_PAGES = 500
MIN_CHARS_PER_PAGE = 20          # below this on average, the PDF is a scan
_PAGE_NUMBER = re.compile(r"^\s*[-—]?\s*(?:第\s*)?\d{1,4}\s*(?:页)?\s*[-—]?\s*$|^\s*\d+\s*/\s*\d+\s*$")

logging.getLogger("pdfminer").setLevel(logging.ERROR)


def decode_pdf(data: bytes) -> Decoded:
    import pdfplumber
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as e:          # pdfminer raises many types for damaged or encrypted files
        raise ExtractionError(Errors.E006, _why(e)) from None
    try:
        if len(pages) > MAX_PAGES:
            raise ExtractionError(Errors.E004, f"{len(pages)} pages; the limit is {MAX_PAGES}")
        blocks, chars = _blocks(pages)
    except ExtractionError:
        raise
    except Exception as e:
        raise ExtractionError(Errors.E006, _why(e)) from None
    finally:
        pdf.close()
    if chars < MIN_CHARS_PER_PAGE * max(1, len(pages)):
        from .ocr import ocr_pdf
        return ocr_pdf(data)
    return _render(blocks, len(pages))


def _why(e: Exception) -> str:
    if any("Password" in type(x).__name__ or "ncrypt" in type(x).__name__ or "encrypt" in str(x).lower()
           for x in _chain(e)):
        return "the PDF is encrypted (it needs a password); send a copy without one"
    return f"the PDF cannot be read ({type(e).__name__})"


def _chain(e: BaseException):
    """The error, the errors it wraps (pdfplumber's PdfminerException holds pdfminer's in args)
    and the ones it was raised from."""
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


def _blocks(pages) -> tuple[list, int]:
    """(page, top, kind, content) in reading order, for every page."""
    blocks, chars = [], 0
    for number, page in enumerate(pages, 1):
        chars += len(page.chars)
        found = page.find_tables()
        boxes = [t.bbox for t in found]
        outside = page.filter(lambda o: not _inside(o, boxes)) if boxes else page
        items = [(top, "text", text) for top, text in text_lines(outside.chars) if not _PAGE_NUMBER.match(text)]
        items += [(t.bbox[1], "table", t.extract()) for t in found]
        blocks += [(number, top, kind, content) for top, kind, content in sorted(items, key=lambda i: i[0])]
        page.flush_cache()
    return blocks, chars


def text_lines(chars, x_tolerance: float = 3.0) -> list[tuple[float, str]]:
    """(top, text) of each line, rebuilt from the glyphs' positions. A glyph joins the line whose
    first glyph it overlaps vertically by at least half the lower of their heights, so that digits
    set in a smaller font a few points below the Chinese text stay in their sentence (a line-by-line
    text layer clustered by the glyphs' tops puts them on a line of their own). A line reads left
    to right; a gap wider than ``x_tolerance`` is a space."""
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
        text = " ".join(_joined(sorted(glyphs, key=lambda c: c["x0"]), x_tolerance).split())
        if text:
            out.append((top, text))
    return out


_OPEN_LINES = 4      # a glyph is looked for among the last few lines only: lines come top to bottom


def _joined(glyphs, x_tolerance: float) -> str:
    parts, last = [], None
    for c in glyphs:
        if last is not None and c["x0"] - last["x1"] > x_tolerance and not (c["text"] + last["text"]).isspace():
            parts.append(" ")
        parts.append(c["text"])
        last = c
    return "".join(parts)


def _inside(obj, boxes) -> bool:
    x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
    y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _render(blocks, n_pages: int) -> Decoded:
    builder, page_starts = TextBuilder(), []
    stitched = _stitch(blocks)
    last_page = None
    for page, kind, content in stitched:
        if page != last_page:
            page_starts.append((builder.length, page))
            last_page = page
        if kind == "text":
            builder.paragraph(content)
        else:
            builder.table(content, page=page, source="pdf")
    return Decoded(builder.text(), "application/pdf", tables=builder.tables, pages=page_starts,
                   meta={"pages": n_pages})


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
                and len(content[0]) == len(out[-1][2][0]) and not _own_caption(content):
            previous = out[-1][2]
            rows = content[1:] if content and content[0] == previous[0] else content   # repeated header
            out[-1] = (out[-1][0], "table", previous + rows)
            last_page = page
            continue
        out.append((page, kind, content))
        last_page = page
    return out
