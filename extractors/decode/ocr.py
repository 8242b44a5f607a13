"""Pages without a text layer: each rendered (pypdfium2) and read by Tesseract (chi_sim), several
pages at once (one Tesseract process per core, each on one thread: Tesseract's own OpenMP threads
contend on a small machine and were five times slower). OCR'd text is marked as such, since its
numbers deserve less trust."""
from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import time
from collections import deque

from ..errors import Errors, ExtractionError
from .tools import RunningTool

DPI = 300
MIN_DPI = 72
MAX_OCR_PAGES = 50
MAX_PAGE_PIXELS = 40_000_000     # an A3 page at 300 dpi is 17 Mpx; larger pages are rendered at a lower dpi
TIMEOUT = 120
WORKERS = max(1, int(os.environ.get("FISCAL_OCR_WORKERS", "0")) or os.cpu_count() or 1)
_TESSERACT_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def tesseract_available() -> bool:
    if not shutil.which("tesseract"):
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    return "chi_sim" in langs.split()


def read_pages(pdf, numbers: list[int], read=None) -> dict[int, str]:
    """The OCR text of the given pages (1-based) of an open pypdfium2 document. Up to ``WORKERS``
    Tesseracts run at once, each page rendered just before its Tesseract starts; ``read(k)`` hears
    that k pages are done."""
    if len(numbers) > MAX_OCR_PAGES:
        raise ExtractionError(Errors.E004, f"{len(numbers)} scanned pages; OCR is limited to {MAX_OCR_PAGES}")
    texts, running, queue = {}, [], deque(numbers)
    try:
        while queue or running:
            while queue and len(running) < WORKERS:
                number = queue.popleft()
                running.append((number, _tesseract(_png(pdf[number - 1]), number)))
            finished = [(number, tool) for number, tool in running if tool.done()]
            for number, tool in finished:
                texts[number] = tool.stdout().decode("utf-8", "replace")
                tool.close()
                running.remove((number, tool))
                if read is not None:
                    read(len(texts))
            if not finished:
                time.sleep(_POLL_S)
    finally:
        for _, tool in running:
            tool.close()
    return texts


_POLL_S = 0.02


def _png(page) -> bytes:
    try:
        png = io.BytesIO()
        page.render(scale=render_scale(*page.get_size()), grayscale=True).to_pil().save(png, format="PNG")
        return png.getvalue()
    finally:
        page.close()


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


def _tesseract(png: bytes, number: int) -> RunningTool:
    return RunningTool(["tesseract", "page.png", "stdout", "-l", "chi_sim", "--psm", "6"], files={"page.png": png},
                       timeout=TIMEOUT, what=f"OCR of page {number}", env=_TESSERACT_ENV)
