"""Where a span of a PDF's text is printed: its page and its box, so that a viewer can draw a box
around a figure on the rendered page (CONTRACT.md: ``bbox`` in PDF points, origin at the page's top
left, in its displayed orientation).

The PDF decoder records, for every line of text it writes, the horizontal extent of each of its
characters, and for every table cell the cell's box; a span's box is the union of the boxes of the
characters and cells it covers on its first page.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass
class Geometry:
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    # per segment: (page, top, bottom, xs) for a line, xs holding x0, x1 of each character;
    # (page, top, bottom, (x0, x1)) for a cell, the cell's box whatever part of it is asked for
    boxes: list[tuple] = field(default_factory=list)

    def line(self, start: int, page: int, top: float, bottom: float, xs: array) -> None:
        self._add(start, start + len(xs) // 2, (page, top, bottom, xs))

    def cell(self, start: int, end: int, page: int, box: tuple[float, float, float, float]) -> None:
        x0, top, x1, bottom = box
        self._add(start, end, (page, top, bottom, (x0, x1)))

    def _add(self, start: int, end: int, box: tuple) -> None:
        # segments come in text order (the decoder writes the text front to back)
        self.starts.append(start)
        self.ends.append(end)
        self.boxes.append(box)

    def __bool__(self) -> bool:
        return bool(self.starts)

    def box(self, start: int, end: int) -> tuple[int, list[float]] | None:
        """(page, [x0, top, x1, bottom]) of the text between ``start`` and ``end``, or None where no
        part of it was printed from glyphs (a page read by OCR, a line the decoder made)."""
        k = max(bisect_right(self.starts, start) - 1, 0)
        page, edges = None, None
        while k < len(self.starts) and self.starts[k] < max(end, start + 1):
            if self.ends[k] > start:
                p, top, bottom, xs = self.boxes[k]
                if page is None:
                    page = p
                if p == page:
                    left, right = _extent(xs, start - self.starts[k], end - self.starts[k])
                    edges = _union(edges, (left, top, right, bottom))
            k += 1
        if page is None:
            return None
        return page, [round(v, 2) for v in edges]


def _extent(xs, first: int, last: int) -> tuple[float, float]:
    if len(xs) == 2 and not isinstance(xs, array):
        return xs
    first, last = max(first, 0), min(last, len(xs) // 2)
    if last <= first:
        last = first + 1
    chosen = xs[2 * first:2 * last]
    return min(chosen[0::2]), max(chosen[1::2])


def _union(a, b):
    if a is None:
        return b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
