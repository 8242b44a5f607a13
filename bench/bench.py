"""`make bench`: in-process extraction time against jieba.lcut on the same texts, in one run.

Prints, per corpus document, the median time of the full v1 result and of ``jieba.lcut``, the
characters per second, and the ratio extract/jieba (the target is at most 1/3). Then the scaling
check: the sample concatenated 10× and 100×, whose time per character should stay flat.
"""
from __future__ import annotations

import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from extractors import extract, warm_up  # noqa: E402

jieba.setLogLevel(logging.WARNING)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    warm_up()
    jieba.initialize()
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))}
    print(f"{'document':<52}{'chars':>7}{'extract ms':>12}{'jieba ms':>10}{'chars/s':>11}{'ratio':>8}")
    ratios = []
    for name, text in texts.items():
        ours = median_time(lambda: extract(text), 15)
        base = median_time(lambda: jieba.lcut(text), 15)
        ratios.append(ours / base)
        print(f"{name:<52}{len(text):>7}{ours * 1000:>12.2f}{base * 1000:>10.2f}{len(text) / ours:>11.0f}{ours / base:>8.2f}")
    print(f"median ratio extract/jieba.lcut: {statistics.median(ratios):.2f} (target <= 0.33)")
    sample = texts["yanbian-union-2021-final-accounts.txt"]
    one = median_time(lambda: extract(sample), 9)
    for factor in (10, 100):
        big = "\n".join([sample] * factor)
        t = median_time(lambda: extract(big), 3 if factor == 10 else 1)
        print(f"scaling {factor}x: {t * 1000:.1f} ms, per-char time {t / factor / one:.2f}x of 1x (linear = 1.00)")


if __name__ == "__main__":
    main()
