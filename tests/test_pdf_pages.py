"""PDF pages read by PDFium (issue 20): the glyphs, lines and tables pdfplumber reads, on real PDFs
and on pages of every rotation; OCR of the scanned pages only, several at once."""
from __future__ import annotations

import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import extract
from extractors.decode import decode
from extractors.decode.pdf import cell_texts, text_lines
from extractors.decode.pdf_page import read_page

# a rotated landscape statement, a long one of many tables, a prose 部门预算
_REAL = ["jiangsu-npc-office-2019-budget-tables.pdf", "shanghai-putuo-wanli-subdistrict-2024-department-budget.pdf",
         "jiangsu-cppcc-office-2019-department-budget.pdf"]


def _squeezed(rows):
    return [["" if c is None else "".join(c.split()) for c in row] for row in rows]


def _ours(data: bytes):
    import pypdfium2 as pdfium
    from pdfplumber.table import TableFinder, TableSettings
    pdf = pdfium.PdfDocument(data)
    try:
        for i in range(len(pdf)):
            page = read_page(pdf, i)
            tables = TableFinder(page, TableSettings.resolve({})).tables
            yield page, [_squeezed(cell_texts(t, page)) for t in tables]
    finally:
        pdf.close()


@pytest.mark.parametrize("name", _REAL)
def test_pages_read_as_pdfplumber_reads_them(shared, name):
    """Every page's lines (spaces aside: PDFium keeps a space glyph only where it parts words) and
    every table's cells are pdfplumber's."""
    import pdfplumber
    data = (shared / "corpus" / "real" / name).read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for theirs, (ours, our_tables) in zip(pdf.pages, _ours(data), strict=True):
            assert [t.replace(" ", "") for _, t in text_lines(ours.chars)] == \
                   [t.replace(" ", "") for _, t in text_lines(theirs.chars)]
            assert our_tables == [_squeezed(t.extract()) for t in theirs.find_tables()]


def _rotated_pdf(rotation: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setPageRotation(rotation)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 700, "2021年本年收入合计100.00万元")
    c.saveState()
    c.translate(300, 400)
    c.rotate(90)
    c.drawString(0, 0, "一般公共预算财政拨款收入80.00万元")
    c.restoreState()
    c.rect(72, 200, 200, 100)
    c.line(72, 250, 272, 250)
    c.save()
    return buf.getvalue()


def _near(a: tuple, b: tuple) -> bool:
    """Same text and flags, coordinates within 1.5 points: STSong-Light is not embedded, and
    PDFium boxes its glyphs by the ascent of the font it substitutes (on the real PDFs, whose
    fonts are embedded, the boxes are pdfminer's to the hundredth)."""
    return all(abs(x - y) <= 1.5 if isinstance(x, float) else x == y for x, y in zip(a, b, strict=True))


def _glyph(c: dict) -> tuple:
    return (c["text"], c["upright"], float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"]))


def _edge(e: dict) -> tuple:
    return (e["orientation"], float(e["x0"]), float(e["top"]), float(e["x1"]), float(e["bottom"]))


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_rotated_page_has_pdfplumbers_coordinates(rotation):
    """Glyph boxes, uprightness and ruling edges in the displayed page's coordinates, as
    pdfplumber gives them, whatever the page's /Rotate."""
    import pdfplumber
    import pypdfium2 as pdfium
    data = _rotated_pdf(rotation)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        theirs = pdf.pages[0]
        their_glyphs, their_edges = [_glyph(c) for c in theirs.chars], sorted({_edge(e) for e in theirs.edges})
        size = (theirs.width, theirs.height)
    ours = read_page(pdfium.PdfDocument(data), 0)
    our_glyphs, our_edges = [_glyph(c) for c in ours.chars], sorted({_edge(e) for e in ours.edges})
    assert _near(ours.bbox[2:], size)
    assert len(our_glyphs) == len(their_glyphs) and all(map(_near, our_glyphs, their_glyphs))
    assert len(our_edges) == len(their_edges) and all(map(_near, our_edges, their_edges))
    assert {g[1] for g in our_glyphs} == {True, False}


def _text_page(c, lines: list[str]) -> None:
    y = 760
    for line in lines:
        c.setFont("STSong-Light", 14)
        c.drawString(72, y, line)
        y -= 28


_TEXT = ["某县总工会2021年部门决算", "2021年本年收入合计100.00万元。"]
_SCANNED = ["2021年本部门“三公”经费支出决算为63.30万元。"]


def _mixed_pdf() -> bytes:
    """Page 1 with a text layer; page 2 an image of a page (a scan)."""
    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = io.BytesIO()
    c = canvas.Canvas(page, pagesize=A4)
    _text_page(c, _SCANNED)
    c.save()
    image = pdfium.PdfDocument(page.getvalue())[0].render(scale=250 / 72).to_pil().convert("L")
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    _text_page(c, _TEXT)
    c.showPage()
    c.drawImage(ImageReader(image), 0, 0, *A4)
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return _mixed_pdf()


def test_only_the_scanned_page_is_read_by_ocr(mixed, tesseract):
    result = extract(mixed, "mixed.pdf")
    assert result.document["source"]["ocr"] is True and result.document["source"]["ocr_pages"] == [2]
    by_concept = {f["concept"]: f for f in result.facts}
    revenue, three_public = by_concept["revenue_total"], by_concept["three_public.total"]
    assert revenue["value"] == "1000000" and revenue["evidence"]["page"] == 1 and "ocr" not in revenue["evidence"]
    assert three_public["value"] == "633000" and three_public["evidence"]["page"] == 2
    assert three_public["evidence"]["ocr"] is True


def test_without_tesseract_the_text_pages_are_read_and_the_scanned_named(mixed, monkeypatch):
    import extractors.decode.ocr as ocr
    monkeypatch.setattr(ocr, "tesseract_available", lambda: False)
    decoded = decode(mixed, "mixed.pdf")
    assert decoded.meta["unread_pages"] == [2] and "ocr" not in decoded.meta
    assert "本年收入合计100.00万元" in decoded.text.replace(" ", "")


def test_pages_are_read_by_several_tesseracts_at_once(monkeypatch):
    """Up to WORKERS Tesseracts run at a time, a page is rendered only when its Tesseract starts,
    and each page's text is its own."""
    import extractors.decode.ocr as ocr
    state = {"running": 0, "most": 0, "rendered": 0, "started": 0}

    class Tool:
        def __init__(self, png, number):
            assert png == str(number).encode() and state["rendered"] == state["started"] + 1
            state["started"] += 1
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
            self.polls, self.number = number % 3, number

        def done(self):
            self.polls -= 1
            return self.polls < 0

        def stdout(self):
            return f"text of page {self.number}".encode()

        def close(self):
            state["running"] -= 1

    def render(page):
        state["rendered"] += 1
        return str(page).encode()

    monkeypatch.setattr(ocr, "WORKERS", 2)
    monkeypatch.setattr(ocr, "_png", render)
    monkeypatch.setattr(ocr, "_tesseract", Tool)
    pages = [1, 3, 4, 5, 6, 8, 9, 10]
    texts = ocr.read_pages([i + 1 for i in range(10)], pages)     # pdf[i] is page i + 1
    assert texts == {n: f"text of page {n}" for n in pages}
    assert state["most"] == 2 and state["running"] == 0 and state["started"] == len(pages)


def test_a_page_whose_tesseract_fails_stops_the_others(monkeypatch):
    """A page past its time (E008) ends the document, and the Tesseracts still running are closed."""
    import extractors.decode.ocr as ocr
    from extractors.errors import Errors, ExtractionError
    closed = []

    class Tool:
        def __init__(self, png, number):
            self.number = number

        def done(self):
            if self.number == 2:
                raise ExtractionError(Errors.E008, "OCR of page 2 took longer than 120 s")
            return False

        def close(self):
            closed.append(self.number)

    monkeypatch.setattr(ocr, "WORKERS", 3)
    monkeypatch.setattr(ocr, "_png", lambda page: b"")
    monkeypatch.setattr(ocr, "_tesseract", Tool)
    with pytest.raises(ExtractionError) as e:
        ocr.read_pages([None] * 5, [1, 2, 3, 4, 5])
    assert e.value.error is Errors.E008 and sorted(closed) == [1, 2, 3]


def test_a_tesseract_of_its_own_folder_leaves_nothing_behind(tesseract):
    """A real Tesseract run through the tool bounds: its folder is gone after, its text read."""
    import tempfile
    from pathlib import Path
    from PIL import Image, ImageDraw
    import extractors.decode.ocr as ocr
    from extractors.decode.tools import JOB_PREFIX
    image = Image.new("L", (400, 120), 255)
    ImageDraw.Draw(image).text((20, 40), "2021 100.00", fill=0)
    png = io.BytesIO()
    image.resize((1600, 480)).save(png, format="PNG")
    before = set(Path(tempfile.gettempdir()).glob(f"{JOB_PREFIX}*"))
    tool = ocr._tesseract(png.getvalue(), 1)
    while not tool.done():
        time.sleep(0.05)
    text = tool.stdout().decode()
    tool.close()
    assert "100" in text
    assert set(Path(tempfile.gettempdir()).glob(f"{JOB_PREFIX}*")) == before


def test_a_scanned_page_limit_counts_the_scanned_pages_only():
    from extractors.decode.ocr import MAX_OCR_PAGES, read_pages
    from extractors.errors import Errors, ExtractionError
    with pytest.raises(ExtractionError) as e:
        read_pages([], list(range(1, MAX_OCR_PAGES + 2)))
    assert e.value.error is Errors.E004


_GLYPH_TEXT = st.sampled_from(list("0123456789.,-万元合计支出 ﬁ（）"))


@st.composite
def _cell_glyphs(draw):
    """Glyphs as a table cell holds them: mostly one line, sometimes two, now and then rotated."""
    glyphs, x = [], draw(st.floats(0, 50))
    for _ in range(draw(st.integers(1, 12))):
        x += draw(st.floats(-2, 9))
        width = draw(st.floats(0.5, 8))
        top = draw(st.sampled_from([100.0, 100.4, 101.5, 102.9, 103.2, 112.0]))
        glyphs.append({"text": draw(_GLYPH_TEXT), "x0": x, "x1": x + width, "top": top, "bottom": top + 9,
                       "doctop": top, "upright": draw(st.sampled_from([True] * 9 + [False]))})
    return glyphs


@settings(max_examples=400, deadline=None)
@given(_cell_glyphs())
def test_a_one_line_cell_reads_as_pdfplumber_reads_it(glyphs):
    from pdfplumber.utils import extract_text
    from extractors.decode.pdf import one_line_text
    mine = one_line_text(glyphs)
    if mine is not None:
        assert mine == extract_text(glyphs)


def test_a_character_beyond_the_bmp_keeps_the_glyphs_after_it_in_place(monkeypatch):
    """PDFium's UTF-16 text takes two units for 𠀀: such a page is read a character at a time."""
    from extractors.decode import pdf_page
    units, chars = [0x4E00, 0xD840, 0xDC00, 0x4E01], [0x4E00, 0x20000, 0x4E01]

    def get_text(_page, _start, count, buffer):       # as PDFium: count units and a NUL at most
        written = units[:count] + [0]
        for i, u in enumerate(written):
            buffer[i] = u
        return len(written)

    monkeypatch.setattr(pdf_page.pdfium_c, "FPDFText_GetText", get_text)
    monkeypatch.setattr(pdf_page.pdfium_c, "FPDFText_GetUnicode", lambda _page, i: chars[i])
    assert pdf_page._codes(None, 3) == chars
