"""Brings the real page texts back from their stored copies (corpus/real-texts/README.md).

    python scripts/recover_pages.py [FILE ...]

A stored copy's text, pasted as it came into corpus/real-pages/inbox/FILE, holds the document
somewhere inside it (the manifest's text starts at its title, site navigation before it dropped,
and ends where the stored copy was cut). The document is the span of the manifest's length whose
sha256 is the manifest's; it is written to corpus/real-pages/FILE. Without arguments, every file
in the inbox is tried.
"""
from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "corpus" / "real-pages"
INBOX = PAGES / "inbox"
MANIFEST = ROOT / "corpus" / "real-texts" / "MANIFEST.tsv"


def manifest() -> dict[str, dict]:
    with open(MANIFEST, encoding="utf-8", newline="") as f:
        return {r["file"]: r for r in csv.DictReader(f, delimiter="\t")}


def find_document(pasted: str, chars: int, digest: str) -> str | None:
    for text in (pasted, pasted.replace("\r\n", "\n")):
        for start in range(0, max(len(text) - chars, 0) + 1):
            span = text[start:start + chars]
            if hashlib.sha256(span.encode("utf-8")).hexdigest() == digest:
                return span
    return None


def recover(name: str, rows: dict[str, dict]) -> str:
    row = rows.get(name)
    if row is None:
        return f"{name}: not in the manifest"
    pasted = (INBOX / name).read_text(encoding="utf-8")
    doc = find_document(pasted, int(row["chars"]), row["sha256"])
    if doc is None:
        return f"{name}: no span of {row['chars']} characters has the manifest's sha256 (pasted {len(pasted)})"
    (PAGES / name).write_text(doc, encoding="utf-8")
    return f"{name}: recovered ({len(doc)} characters)"


def main(argv: list[str]) -> int:
    rows = manifest()
    names = argv or sorted(p.name for p in INBOX.glob("*.txt"))
    results = [recover(n, rows) for n in names]
    print("\n".join(results))
    return 0 if all(r.endswith("characters)") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
