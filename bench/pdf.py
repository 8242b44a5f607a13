"""PDF reading on the real PDFs (../shared/corpus/real) against the peer's method: one pdfplumber
pass over the file that takes every page's text and tables (issue 20). Also the peak memory of the
largest real PDF and of a 500-page PDF, each in a process of its own, a 20-page scan read by OCR
against the documented time limit, and the earlier figure: a 22-page synthetic 部门决算 against
three pdfplumber table passes (one per table setting)."""
from __future__ import annotations

import importlib.util
import io
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("FISCAL_SHARED") or ROOT.parent / "shared")
REAL = SHARED / "corpus" / "real"


THREE_PASSES = [{}, {"vertical_strategy": "text", "horizontal_strategy": "text"},
                {"vertical_strategy": "lines_strict", "horizontal_strategy": "lines_strict"}]


def synthetic_pdf() -> bytes:
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


def three_passes(data: bytes) -> int:
    import pdfplumber
    n = 0
    for settings in THREE_PASSES:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                n += len(page.extract_tables(settings))
    return n


def synthetic(paired, smoke: bool) -> dict:
    import pdfplumber
    data = synthetic_pdf()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
    mine, theirs, ratio = paired(lambda: ours(data, "synthetic.pdf"), lambda: three_passes(data), *((1, 1) if smoke else (3, 1)))
    return {"pages": pages, "ours_s": mine, "peer_s": theirs, "speedup": 1 / ratio}


def peer(data: bytes) -> int:
    """What the peer does: open the PDF once, take each page's text and tables, then its rules."""
    import pdfplumber
    n = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            n += len(page.extract_text() or "") + len(page.extract_tables())
    return n


def ours(data: bytes, name: str):
    from extractors import extract
    return extract(data, name)


def real_pdfs(paired, smoke: bool) -> dict:
    """Each real PDF's whole result against one pdfplumber pass, timed side by side."""
    files = sorted(REAL.glob("*.pdf"))
    if smoke:
        files = files[:3]
    per_file = {}
    for path in files:
        data = path.read_bytes()
        # three pairs of blocks, not two: the median of two is their mean, and one slow moment of
        # this machine's cores on a 0.06 s file then decides the worst file's ratio
        mine, theirs, ratio = paired(lambda: ours(data, path.name), lambda: peer(data), *((1, 1) if smoke else (3, 1)))
        per_file[path.name] = {"ours_s": mine, "peer_s": theirs, "ratio": ratio}
    ratios = [f["ratio"] for f in per_file.values()]
    return {"files": per_file, "median_ratio": statistics.median(ratios), "worst_ratio": max(ratios),
            "worst_file": max(per_file, key=lambda n: per_file[n]["ratio"])}


# the peak is VmHWM, this process's own: getrusage's ru_maxrss keeps, across the exec, the peak of
# the benchmark process it was forked from
_PEAK = """
import sys, time
sys.path.insert(0, {root!r})
from extractors import extract
data = open(sys.argv[1], "rb").read()
t0 = time.perf_counter()
extract(data, sys.argv[1])
seconds = time.perf_counter() - t0
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(seconds, hwm / 1024)
"""


def peak(path: Path) -> dict:
    """Seconds and peak RSS (MiB) of extracting one file in a fresh process; the baseline is the
    same process extracting a one-line text (the interpreter and the lexicons)."""
    script = _PEAK.format(root=str(ROOT))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("2021年本年收入合计1.00万元。")
    try:
        base = subprocess.run([sys.executable, "-c", script, f.name], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    seconds, rss = map(float, run.stdout.split())
    return {"seconds": seconds, "rss_mib": rss, "baseline_rss_mib": float(base.stdout.split()[1])}


def long_pdf(pages: int) -> Path:
    """A 部门决算 of ``pages`` pages, each a ruled table of 30 rows under a caption and a sentence."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = Path(tempfile.mkdtemp()) / f"long-{pages}.pdf"
    c = canvas.Canvas(str(out), pagesize=A4)
    for page in range(pages):
        c.setFont("STSong-Light", 12)
        c.drawString(72, 800, f"某县2021年部门决算 支出决算表（续{page}）  单位：万元")
        c.drawString(72, 780, f"2021年本年支出合计{1000 + page}.00万元，比上年增加{page}.00万元。")
        y = 750
        for row in range(30):
            c.rect(72, y - 20, 450, 20)
            c.line(200, y - 20, 200, y)
            c.line(360, y - 20, 360, y)
            c.drawString(76, y - 15, f"20101{row:02d}")
            c.drawString(204, y - 15, f"行政运行{row}")
            c.drawString(364, y - 15, f"{row * 3 + page}.00")
            y -= 20
        c.showPage()
    c.save()
    return out


def scan(pages: int) -> Path:
    """A scan of a real PDF's first pages: each page an image at 200 dpi, with no text layer."""
    import pypdfium2 as pdfium
    source = max(REAL.glob("*.pdf"), key=lambda p: p.stat().st_size)
    pdf = pdfium.PdfDocument(source.read_bytes())
    images = [pdf[i].render(scale=200 / 72).to_pil().convert("L") for i in range(min(pages, len(pdf)))]
    out = Path(tempfile.mkdtemp()) / f"scan-{pages}.pdf"
    images[0].save(out, save_all=True, append_images=images[1:], resolution=200)
    return out


def measure(paired, smoke: bool) -> dict:
    from service.settings import Settings
    limits = Settings()
    out: dict = {"limits": {"extract_timeout_s": limits.extract_timeout_s, "extract_memory_mb": limits.extract_memory_mb},
                 "synthetic": synthetic(paired, smoke)}
    if not REAL.is_dir():
        out["skipped"] = f"the real PDFs are not at {REAL} (../shared beside the project)"
        return out
    out["real"] = real_pdfs(paired, smoke)
    largest = max(REAL.glob("*.pdf"), key=lambda p: p.stat().st_size)
    out["largest"] = dict(peak(largest), file=largest.name)
    out["long"] = dict(peak(long_pdf(50 if smoke else 500)), pages=50 if smoke else 500)
    from extractors.decode.ocr import tesseract_available
    if tesseract_available():
        pages = 2 if smoke else 20
        out["scan"] = dict(peak(scan(pages)), pages=pages)
    else:
        out["scan"] = {"skipped": "tesseract-ocr with chi_sim is not installed"}
    return out

