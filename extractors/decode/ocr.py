"""Scanned PDFs: each page rendered (pypdfium2) and read by Tesseract (chi_sim). OCR'd text is
marked as such, since its numbers deserve less trust."""
from __future__ import annotations

import io
import math
import shutil
import subprocess

from ..errors import Errors, ExtractionError
from ..tables import TextBuilder
from . import Decoded
from .tools import job_dir, run_tool

DPI = 300
MIN_DPI = 72
MAX_OCR_PAGES = 50
MAX_PAGE_PIXELS = 40_000_000     # an A3 page at 300 dpi is 17 Mpx; larger pages are rendered at a lower dpi
TIMEOUT = 120


def tesseract_available() -> bool:
    if not shutil.which("tesseract"):
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    return "chi_sim" in langs.split()


def ocr_pdf(data: bytes) -> Decoded:
    if not tesseract_available():
        raise ExtractionError(Errors.E009, "this PDF has no text layer; OCR needs tesseract-ocr and tesseract-ocr-chi-sim")
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:
        raise ExtractionError(Errors.E006, f"the PDF cannot be rendered ({type(e).__name__})") from None
    if len(pdf) > MAX_OCR_PAGES:
        raise ExtractionError(Errors.E004, f"{len(pdf)} scanned pages; OCR is limited to {MAX_OCR_PAGES}")
    builder, page_starts = TextBuilder(), []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            png = io.BytesIO()
            page.render(scale=render_scale(*page.get_size())).to_pil().save(png, format="PNG")
            page_starts.append((builder.length, i + 1))
            for line in _tesseract(png.getvalue()).splitlines():
                builder.paragraph(line)
    finally:
        pdf.close()
    text = builder.text()
    if not text.strip():
        raise ExtractionError(Errors.E009, "OCR found no text in this scanned PDF")
    return Decoded(text, "application/pdf", pages=page_starts, meta={"ocr": True, "pages": len(page_starts)})


def render_scale(width_pt: float, height_pt: float) -> float:
    """Pixels per point: 300 dpi, less for a page that would pass ``MAX_PAGE_PIXELS`` (the cap
    holds before anything is rendered); E004 for a page too large even at 72 dpi."""
    scale = DPI / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    if area * scale * scale > MAX_PAGE_PIXELS:
        scale = math.sqrt(MAX_PAGE_PIXELS / area)
    if scale < MIN_DPI / 72:
        raise ExtractionError(Errors.E004, f"a page of {width_pt:.0f} × {height_pt:.0f} pt is too large to read by OCR")
    return scale


def _tesseract(png: bytes) -> str:
    """The page image goes in on stdin: no file is left behind whatever happens to this process."""
    with job_dir() as job:
        done = run_tool(["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", "6"], job,
                        input=png, timeout=TIMEOUT, what="OCR of a page")
    return done.stdout.decode("utf-8", "replace")
