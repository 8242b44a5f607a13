"""Builds the packaged portal directory (crawler/portals/directory.csv) from ../shared/portals.

    python scripts/package_portals.py [SHARED_PORTALS_DIR]

One row per place of the source tree (province → city → county): its names, level and the URL of its
预决算公开 page, with the upstream link check of 2026-04-18 (page reachable, HTTP status, page type,
tier). Only the factual name and URL pairs and the check's verdicts are kept (see
crawler/portals/DIRECTORY.md for the provenance). Run it again when ../shared/portals changes.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crawler" / "portals" / "directory.csv"
COLUMNS = ["province", "city", "county", "level", "name", "url", "page_available", "http_status", "page_type",
           "diagnosis_tier"]


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else ROOT.parent / "shared" / "portals"
    with open(shared / "budget-disclosure-portals.csv", encoding="utf-8", newline="") as f:
        places = list(csv.DictReader(f))
    with open(shared / "budget-disclosure-portals-diagnosis-2026-04-18.csv", encoding="utf-8", newline="") as f:
        checks = list(csv.DictReader(f))
    if len(places) != len(checks):
        raise SystemExit(f"{len(places)} places but {len(checks)} link checks")
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        out.writeheader()
        for place, check in zip(places, checks):
            key = (place["province"], place["city"], place["county"], place["url"])
            if key != (check["province"], check["city"], check["county"], check["url"]):
                raise SystemExit(f"the link check's rows are not in the directory's order at {key}")
            out.writerow({**{c: place[c] for c in COLUMNS[:6]}, **{c: check[c] for c in COLUMNS[6:]}})
    print(f"{len(places)} places written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
