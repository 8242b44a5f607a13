"""PDF reading against the peer's method: three pdfplumber table passes (one per table setting)
over a 20-page 部门决算 holding the nine standard tables."""
from __future__ import annotations

import importlib.util
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETTINGS = [{}, {"vertical_strategy": "text", "horizontal_strategy": "text"},
            {"vertical_strategy": "lines_strict", "horizontal_strategy": "lines_strict"}]


def twenty_page_pdf() -> bytes:
    """The synthetic 部门决算 with its tables padded out with more 科目 rows to about 20 pages."""
    spec = importlib.util.spec_from_file_location("build", ROOT / "corpus" / "synthetic" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    tables = []
    for caption, rows in build.TABLES:
        rows = [list(r) for r in rows]
        if caption.startswith("表五"):
            filler = [[f"20101{i:02d}", f"人大事务项目{i}", "0.00", "0.00", "0.00"] for i in range(1, 100)]
            rows = rows[:-1] + filler * 6 + rows[-1:]
        tables.append((caption, rows))
    build.TABLES = tables
    out = Path(tempfile.mkdtemp()) / "twenty.pdf"
    build.write_pdf(out)
    return out.read_bytes()


def peer(data: bytes) -> int:
    import pdfplumber
    n = 0
    for settings in SETTINGS:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                n += len(page.extract_tables(settings))
    return n


def ours(data: bytes):
    from extractors import extract
    return extract(data, "a.pdf")


def measure(repeat: int = 3) -> dict:
    import pdfplumber
    data = twenty_page_pdf()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
    ours(data)
    t_ours = min(_time(lambda: ours(data)) for _ in range(repeat))
    t_peer = min(_time(lambda: peer(data)) for _ in range(repeat))
    result = ours(data)
    return {"pages": pages, "ours_s": t_ours, "peer_s": t_peer, "speedup": t_peer / t_ours,
            "facts": len(result.facts), "line_items": len(result.line_items), "tables": len(result.document["tables"])}


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    print(measure())
