"""Keeps the manifests of the real evaluation sets (corpus/real-texts, corpus/real-pdfs).

    python scripts/manifest.py            # refresh: new rows, checksums of what is present
    python scripts/manifest.py --draw 1   # put every row without a batch in batch 1 and draw its split

Rows come from ../shared/corpus/real-texts/MANIFEST.tsv (the 32 pages with gold there), from
corpus/real-texts/parts/*.tsv (pages found and annotated for this project: an inbox, merged once)
and from the PDFs of ../shared/corpus/real. A recovered page text's sha256 is recorded the first time it is seen, so that a
later recovery can be checked against it; a row's split is drawn once, by the seeded shuffle of its
batch (extractors.eval_sets.draw_splits), and never changed by hand.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.eval_sets import UNANNOTATED, draw_splits, shared_dir  # noqa: E402

CORPUS = ROOT / "corpus"
TEXT_COLUMNS = ["file", "split", "batch", "origin", "url", "department", "region", "level", "year", "doc_type",
                "chars", "sha256", "style_notes"]
PART_COLUMNS = ["file", "url", "department", "region", "level", "year", "doc_type", "chars", "style_notes"]
PDF_COLUMNS = ["file", "split", "batch", "department", "year", "doc_type", "pages", "sha256", "source"]


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def text_rows(shared: Path) -> list[dict]:
    """The manifest's rows, then rows new in ../shared's manifest and in parts/*.tsv (an inbox:
    a part's rows join the manifest once, and the part can then be removed)."""
    rows = read(CORPUS / "real-texts" / "MANIFEST.tsv")
    seen = {r["file"] for r in rows}
    incoming = [{**r, "origin": "shared"} for r in read(shared / "corpus" / "real-texts" / "MANIFEST.tsv")]
    for part in sorted((CORPUS / "real-texts" / "parts").glob("*.tsv")):
        with open(part, encoding="utf-8", newline="") as f:
            incoming += [{**dict(zip(PART_COLUMNS, v)), "origin": "project"} for v in csv.reader(f, delimiter="\t")
                         if v and v != PART_COLUMNS]          # a part may begin with the header line
    for r in incoming:
        if r["file"] not in seen:
            seen.add(r["file"])
            rows.append({**r, "split": "", "batch": "", "level": r.get("level", ""), "sha256": ""})
    for r in rows:
        page = CORPUS / "real-pages" / r["file"]
        r["sha256"] = r.get("sha256") or sha256(page)
    return rows


def pdf_rows(shared: Path) -> list[dict]:
    known = {r["file"]: r for r in read(CORPUS / "real-pdfs" / "MANIFEST.tsv")}
    sources = _pdf_sources(shared / "corpus" / "real" / "SOURCES.md")
    out = []
    for pdf in sorted((shared / "corpus" / "real").glob("*.pdf")):
        old = known.get(pdf.name, {})
        src = sources.get(pdf.name, {})
        out.append({"file": pdf.name, "split": old.get("split", ""), "batch": old.get("batch", ""),
                    "department": src.get("department", ""), "year": src.get("year", ""),
                    "doc_type": src.get("type", ""), "pages": src.get("pages", ""),
                    "sha256": old.get("sha256") or sha256(pdf), "source": src.get("from", "")})
    return out


def _pdf_sources(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith(".pdf"):
            out[cells[0]] = dict(zip(["file", "department", "year", "type", "pages", "from"], cells))
    return out


def annotated(set_dir: Path) -> set[str]:
    import json
    return {json.loads(g.read_text(encoding="utf-8"))["doc"] for g in (set_dir / "gold").glob("*.gold.json")}


def draw(rows: list[dict], gold: set[str], batch: str, seed: int) -> None:
    """Rows without a batch and with gold join ``batch``; that batch's split is drawn; rows
    without gold are ``unannotated`` until they have it."""
    for r in rows:
        if not r["batch"] and r["file"] in gold:
            r["batch"] = batch
        if r["file"] not in gold:
            r["split"], r["batch"] = UNANNOTATED, ""
    members = [r["file"] for r in rows if r["batch"] == batch]
    splits = draw_splits(members, seed, batch)
    for r in rows:
        if r["batch"] == batch:
            r["split"] = splits[r["file"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draw", metavar="BATCH", help="put rows with gold and no batch in BATCH and draw its split")
    ap.add_argument("--tuned", nargs="*", default=[], metavar="FILE",
                    help="documents the extractor was tuned on before any split: batch 0 (dev)")
    args = ap.parse_args()
    shared = shared_dir(ROOT)
    seeds = {s["id"]: s.get("split_seed") for s in yaml.safe_load((CORPUS / "eval.yaml").read_text())["sets"]}
    for set_id, rows, columns in (("real-texts", text_rows(shared), TEXT_COLUMNS),
                                  ("real-pdfs", pdf_rows(shared), PDF_COLUMNS)):
        set_dir = CORPUS / set_id
        gold = annotated(set_dir)
        for r in rows:
            if r["file"] in args.tuned:
                r["batch"], r["split"] = "0", "dev"
            elif r["file"] not in gold:
                r["split"] = UNANNOTATED
            elif not r["batch"]:
                r["split"] = ""          # annotated, its split not drawn yet
        if args.draw:
            draw(rows, gold, args.draw, seeds[set_id])
        write(set_dir / "MANIFEST.tsv", columns, rows)
        counts = {s: sum(r["split"] == s for r in rows) for s in ("dev", "test", UNANNOTATED, "")}
        print(f"{set_id}: {len(rows)} rows, {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
