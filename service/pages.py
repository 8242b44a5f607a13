"""A stored PDF's page as a PNG (PDFium, server side), for the source view: the box of a figure's
evidence (``bbox`` in PDF points, origin at the page's top left) is drawn over it at ``scale``
pixels per point. Rendered pages are kept by (document, page, scale)."""
from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Callable

from extractors import Errors, ExtractionError

MAX_PIXELS = 8_000_000        # a page rendered larger than this is rendered at a lower scale

_CACHE: OrderedDict[tuple[str, int, float], tuple[bytes, float, float, float]] = OrderedDict()
_CACHE_SIZE = 48
_CACHE_LOCK = threading.Lock()


def page_png(sha: str, page: int, scale: float, load: Callable[[], bytes]) -> tuple[bytes, float, float, float]:
    """(PNG, the scale used, the page's width and height in points), rendered once per
    (document, page, scale) while it stays among the last pages asked for; ``load`` gives the
    document's bytes, read only when the page is not kept."""
    key = (sha, page, scale)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    data = load()
    from extractors.decode import sniff
    if sniff(data, None) != "pdf":
        raise ExtractionError(Errors.E003, "this document is no PDF: it has no pages to show")
    rendered = _render(data, page, scale)
    with _CACHE_LOCK:
        _CACHE[key] = rendered
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rendered


def _render(data: bytes, page: int, scale: float) -> tuple[bytes, float, float, float]:
    import pypdfium2 as pdfium
    from extractors.decode import pdf as pdf_module
    with pdf_module._PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except Exception:
            raise ExtractionError(Errors.E006, "the stored PDF cannot be opened") from None
        try:
            if not 1 <= page <= len(pdf):
                raise ExtractionError(Errors.E007, f"no page {page}: the document has {len(pdf)} pages")
            p = pdf[page - 1]
            width, height = p.get_size()
            scale = min(scale, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            # the image shares the bitmap's memory: it is written out before the page and the
            # document are closed
            buf = io.BytesIO()
            p.render(scale=scale, may_draw_forms=True).to_pil().save(buf, format="PNG", compress_level=3)
            p.close()
        finally:
            pdf.close()
    return buf.getvalue(), scale, width, height
