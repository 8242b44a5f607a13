"""Crawl throughput against the generated test portal on 127.0.0.1 (politeness off), with
extraction and without it: if extraction stalled fetching, the first would be much slower."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.portal_site import PortalServer  # noqa: E402


def run(server, extract: bool) -> tuple[float, int]:
    db = f"sqlite:///{tempfile.mkdtemp(prefix='fiscal-crawl-')}/c.db"
    env = {**os.environ, "FISCAL_CRAWL_EXTRACT": "1" if extract else "0"}
    server.reset_counts()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "crawl", "--seed", server.url + "/yjs/index.html", "--db", db,
                    "--allow-private-addresses", "--no-politeness", "--timeout", "1"], cwd=ROOT, env=env,
                   capture_output=True, check=True, timeout=600)
    return time.perf_counter() - t0, sum(server.counts.values())


def measure() -> dict:
    with PortalServer() as server:
        server.slow_seconds = 0.0                   # the benchmark measures throughput, not the timeout
        fetch_only, n1 = run(server, extract=False)
        with_extraction, n2 = run(server, extract=True)
    return {"disclosures": len(server.portal.disclosures), "requests": n2, "fetch_only_s": fetch_only,
            "with_extraction_s": with_extraction, "fetch_pages_per_s": n1 / fetch_only,
            "pages_per_s": n2 / with_extraction, "extraction_cost": with_extraction / fetch_only}


def main() -> None:
    print(measure())


if __name__ == "__main__":
    main()
