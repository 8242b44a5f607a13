"""Scanned PDFs: each page rendered (pypdfium2) and read by Tesseract (chi_sim). OCR'd text is
marked as such, since its numbers deserve less trust."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import Errors, ExtractionError
from ..tables import TextBuilder
from . import Decoded

DPI = 300
MAX_OCR_PAGES = 50
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
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(len(pdf)):
            image = pdf[i].render(scale=DPI / 72).to_pil()
            path = Path(tmp) / f"p{i}.png"
            image.save(path)
            page_starts.append((builder.length, i + 1))
            for line in _tesseract(path).splitlines():
                builder.paragraph(line)
    pdf.close()
    text = builder.text()
    if not text.strip():
        raise ExtractionError(Errors.E009, "OCR found no text in this scanned PDF")
    return Decoded(text, "application/pdf", pages=page_starts, meta={"ocr": True, "pages": len(page_starts)})


def _tesseract(path: Path) -> str:
    try:
        done = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim", "--psm", "6"],
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ExtractionError(Errors.E008, "OCR took too long") from None
    return done.stdout
