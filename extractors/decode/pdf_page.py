"""A PDF page's glyphs and ruling edges, read by PDFium (pypdfium2) at C speed.

The values have pdfplumber's shape (top-left origin in the page's displayed orientation; a glyph
as ``text, x0, x1, top, bottom, doctop, upright``; an edge as ``x0, x1, top, bottom, width,
height, orientation``), so that pdfplumber's table finder runs on them unchanged: what is saved is
pdfminer's interpretation of the page content in pure Python, which was nearly all of the time.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

Matrix = tuple[float, float, float, float, float, float]

_NOT_A_CHAR = {0, 0xFFFE, 0xFFFF}
_TOLERANCE = 1e-6       # an edge whose ends differ less than this in x (y) is vertical (horizontal)
_MAX_FORM_DEPTH = 8     # form XObjects nest; a malicious file could nest them without end


@dataclass
class PageLayout:
    """What the table finder and the line builder need of a page (the ``page`` pdfplumber's
    ``TableFinder`` reads: ``chars``, ``edges``, ``bbox``)."""
    number: int
    chars: list[dict]
    edges: list[dict]
    bbox: tuple[float, float, float, float]
    image_area: float = 0.0       # the page's share covered by images (a scan's page is one image)

    @property
    def scanned(self) -> bool:
        """A page without a text layer: hardly a glyph, and mostly an image."""
        return len(self.chars) < MIN_CHARS_PER_PAGE and self.image_area >= _SCAN_COVER


MIN_CHARS_PER_PAGE = 20
_SCAN_COVER = 0.5


def read_page(pdf, index: int) -> PageLayout:
    page = pdf[index]
    try:
        to_display, width, height = _display(page)
        textpage = page.get_textpage()
        try:
            chars = _chars(textpage.raw, to_display)
        finally:
            textpage.close()
        paths, images = _objects(page.raw, to_display)
        edges = [edge for obj, matrix in paths for points in _subpaths(obj, matrix) for edge in _segments(points)]
    finally:
        page.close()
    return PageLayout(index + 1, chars, edges, (0.0, 0.0, width, height),
                      image_area=min(1.0, images / max(width * height, 1.0)))


def _display(page) -> tuple[Matrix, float, float]:
    """The matrix from PDF user space to the displayed page, with y growing downward from the top
    (pdfminer's page matrix for /Rotate, then pdfplumber's flip), and the displayed size."""
    x0, y0, x1, y1 = page.get_mediabox()
    rotation = page.get_rotation() % 360
    if rotation == 90:
        return (0.0, 1.0, 1.0, 0.0, -y0, -x0), y1 - y0, x1 - x0
    if rotation == 180:
        return (-1.0, 0.0, 0.0, 1.0, x1, -y0), x1 - x0, y1 - y0
    if rotation == 270:
        return (0.0, -1.0, -1.0, 0.0, y1, x1), y1 - y0, x1 - x0
    return (1.0, 0.0, 0.0, -1.0, -x0, y1), x1 - x0, y1 - y0


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _then(m1: Matrix, m2: Matrix) -> Matrix:
    """m1, then m2."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _chars(textpage, to_display: Matrix) -> list[dict]:
    """Every glyph the content draws, with its loose box (the advance width by the font's ascent
    and descent, as pdfminer boxes a glyph). PDFium's own spaces and line breaks are left out:
    they are boxes of no width (a space glyph that only parts two words is one of them)."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    codes = _codes(textpage, count)
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    get_box, get_matrix = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetMatrix
    frame = _upright_frame(to_display)
    out = []
    for i, code in enumerate(codes):
        if code in _NOT_A_CHAR or code in (10, 13):
            continue
        get_box(textpage, i, box)
        if box.right == box.left and code == 32:
            continue
        left, top = _apply(to_display, box.left, box.top)
        right, bottom = _apply(to_display, box.right, box.bottom)
        get_matrix(textpage, i, matrix)
        a, b, c, d, _, _ = _then((matrix.a, matrix.b, matrix.c, matrix.d, 0.0, 0.0), frame)
        top, bottom = min(top, bottom), max(top, bottom)
        out.append({"text": chr(code), "x0": min(left, right), "x1": max(left, right), "top": top, "bottom": bottom,
                    "doctop": top, "upright": a * d > 0 and b * c <= 0})
    return out


def _codes(textpage, count: int) -> list[int]:
    """The page's characters, fetched at once (one call, not one per glyph). The text comes as
    UTF-16: a character beyond the BMP (a rare name's 生僻字) would take two units and shift the
    rest, so such a page is read a character at a time."""
    if count <= 0:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    codes = list(buffer[:max(0, written - 1)])
    if len(codes) != count or any(0xD800 <= c <= 0xDFFF for c in codes):
        return [pdfium_c.FPDFText_GetUnicode(textpage, i) for i in range(count)]
    return codes


def _upright_frame(to_display: Matrix) -> Matrix:
    """The display matrix without its flip: pdfminer judges a glyph upright in y-up space."""
    a, b, c, d, _, _ = to_display
    return (a, -b, c, -d, 0.0, 0.0)


def _objects(page, to_display: Matrix) -> tuple[list, float]:
    """The page's path objects with their matrices to the displayed page (inside form XObjects
    too), and the area its images cover. The edges made of the paths are the horizontal and
    vertical segments of every path (lines, the sides of rectangles, the straight parts of other
    shapes), as pdfplumber makes edges of pdfminer's lines, rects and curves."""
    paths, image_area = [], 0.0
    todo = [(pdfium_c.FPDFPage_GetObject(page, i), to_display, 0) for i in range(pdfium_c.FPDFPage_CountObjects(page))]
    while todo:
        obj, parent, depth = todo.pop()
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            image_area += _area(obj, parent)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        matrix = _then(_matrix(obj), parent)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths.append((obj, matrix))
        elif depth < _MAX_FORM_DEPTH:
            todo += [(pdfium_c.FPDFFormObj_GetObject(obj, i), matrix, depth + 1)
                     for i in range(pdfium_c.FPDFFormObj_CountObjects(obj))]
    return paths, image_area


def _area(obj, parent: Matrix) -> float:
    """An object's area on the displayed page (its bounds are in its container's space)."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return 0.0
    xa, ya = _apply(parent, left.value, bottom.value)
    xb, yb = _apply(parent, right.value, top.value)
    return abs(xb - xa) * abs(yb - ya)


def _matrix(obj) -> Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _subpaths(obj, matrix: Matrix) -> list[list[tuple[float, float]]]:
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple[float, float]]] = []
    current: list | None = None
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        point = _apply(matrix, x.value, y.value)
        if current is None or pdfium_c.FPDFPathSegment_GetType(segment) == pdfium_c.FPDF_SEGMENT_MOVETO:
            current = [point]
            subpaths.append(current)
        else:
            current.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            current.append(current[0])
            current = None
    return subpaths


def _segments(points: list[tuple[float, float]]) -> list[dict]:
    out = []
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        vertical, horizontal = abs(xa - xb) < _TOLERANCE, abs(ya - yb) < _TOLERANCE
        if vertical == horizontal:          # a point, or a slanted segment: no ruling
            continue
        x0, x1, top, bottom = min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)
        out.append({"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                    "width": x1 - x0, "height": bottom - top, "orientation": "v" if vertical else "h"})
    return out
