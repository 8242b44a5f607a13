"""Evaluation sets: which documents, where their gold and their texts are, which split each is in,
and the report that gives every set and split apart (``fiscal-extract eval``, ``make eval``).

A set is described in ``corpus/eval.yaml``; a real set has a manifest (TSV, one row per document,
with its ``split``). The held-back ``test`` split is drawn by a seeded shuffle that the manifest
records (``split_seed``), so that it can be checked and is never chosen by hand.
"""
from __future__ import annotations

import csv
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .evaluate import DocReport, Ratio, Score, Tally, evaluate_file

SPLITS = ("dev", "test")
NO_SPLIT = "all"              # a set without a split (the project's own corpus)
UNANNOTATED = "unannotated"   # documents of a real set that have no gold yet
TEST_SHARE = 3          # one document in three is held back


@dataclass
class Entry:
    name: str                    # the document's file name (the gold's "doc")
    gold: Path | None
    document: Path | None        # None when the document is not there (not recovered, no ../shared)
    split: str = NO_SPLIT


@dataclass
class EvalSet:
    id: str
    title: str
    entries: list[Entry]
    absent_hint: str = ""


@dataclass
class SetReport(Tally):
    set_id: str = ""
    split: str = NO_SPLIT
    documents: int = 0
    absent: list[str] = field(default_factory=list)
    scoped_line_items: bool = True
    docs: list[DocReport] = field(default_factory=list)
    unscored_alarms: int = 0      # alarms raised on documents of the set that have no gold yet

    def add(self, rep: DocReport) -> None:
        super().add(rep)
        self.documents += 1
        self.docs.append(rep)
        self.scoped_line_items &= rep.scoped_line_items

    def to_dict(self) -> dict:
        def sc(s: Score) -> dict:
            return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                    "tp": s.tp, "fp": s.fp, "fn": s.fn}

        def ra(r: Ratio) -> dict:
            return {"value": round(r.value, 4), "right": r.right, "total": r.total}
        return {"set": self.set_id, "split": self.split, "documents": self.documents, "absent": self.absent,
                "facts": sc(self.facts), "line_items": sc(self.line_items),
                "line_items_matched_with_scope": self.scoped_line_items,
                "rates": ra(self.rates), "codes": ra(self.codes), "document": ra(self.document),
                "findings_recall": ra(self.findings), "alarm_precision": ra(self.alarms),
                "false_alarms": [vars(a) for a in self.false_alarms],
                "unscored_alarms": self.unscored_alarms}


# ---------------------------------------------------------------- loading
def shared_dir(project_root: Path) -> Path:
    return Path(os.environ.get("FISCAL_SHARED") or project_root.parent / "shared")


def load_sets(manifest: Path) -> list[EvalSet]:
    """The sets of ``corpus/eval.yaml``; ``${SHARED}`` in a path is ../shared beside the project."""
    spec = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    base = manifest.resolve().parent
    shared = shared_dir(base.parent)
    out = []
    for s in spec["sets"]:
        def path(p: str) -> Path:
            return Path(p.replace("${SHARED}", str(shared))) if "${SHARED}" in p else base / p
        gold_dir = path(s["gold"])
        doc_dirs = [path(d) for d in s.get("documents", [s["gold"]])]
        rows = read_manifest(path(s["manifest"])) if s.get("manifest") else None
        out.append(EvalSet(s["id"], s.get("title", s["id"]), _entries(gold_dir, doc_dirs, rows),
                           s.get("absent", "")))
    return out


def set_from_directory(directory: Path) -> EvalSet:
    """A directory of ``*.gold.json`` with each document beside its gold (the older form)."""
    directory = Path(directory)
    return EvalSet(directory.name or str(directory), str(directory), _entries(directory, [directory], None))


def read_manifest(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _entries(gold_dir: Path, doc_dirs: list[Path], rows: list[dict] | None) -> list[Entry]:
    golds = {}
    for g in sorted(gold_dir.glob("*.gold.json")):
        golds[json.loads(g.read_text(encoding="utf-8"))["doc"]] = g
    names = [r["file"] for r in rows] if rows is not None else list(golds)
    splits = {r["file"]: r.get("split") or NO_SPLIT for r in rows or []}
    entries = []
    for name in names:
        doc = next((d / name for d in doc_dirs if (d / name).is_file()), None)
        entries.append(Entry(name, golds.get(name), doc, splits.get(name, NO_SPLIT)))
    return entries


def draw_splits(names: list[str], seed: int, batch: str) -> dict[str, str]:
    """The seeded shuffle of one batch of documents (those added together): the names in sorted
    order, shuffled by ``random.Random("<seed>/<batch>")``; the first third (rounded up) are
    ``test``. Batch ``0`` holds documents the extractor was tuned on before any split: all ``dev``."""
    order = sorted(names)
    if batch == "0":
        return dict.fromkeys(order, "dev")
    random.Random(f"{seed}/{batch}").shuffle(order)
    n_test = -(-len(order) // TEST_SHARE)
    return {name: ("test" if i < n_test else "dev") for i, name in enumerate(order)}


# ---------------------------------------------------------------- running
def evaluate_set(s: EvalSet, splits: tuple[str, ...] = (*SPLITS, NO_SPLIT, UNANNOTATED)) -> list[SetReport]:
    reports: dict[str, SetReport] = {}
    for entry in s.entries:
        if entry.split not in splits:
            continue
        rep = reports.setdefault(entry.split, SetReport(set_id=s.id, split=entry.split))
        if entry.document is None:
            rep.absent.append(entry.name)
        elif entry.gold is None:
            rep.unscored_alarms += _alarms_without_gold(entry.document)
        else:
            rep.add(evaluate_file(entry.gold, entry.document))
    order = {name: i for i, name in enumerate((*SPLITS, NO_SPLIT, UNANNOTATED))}
    return sorted(reports.values(), key=lambda r: order.get(r.split, 9))


def _alarms_without_gold(document: Path) -> int:
    from .evaluate import is_alarm
    from .pipeline import extract
    result = extract(document.read_bytes(), document.name).to_dict()
    return sum(is_alarm(f) for f in result["findings"])


# ---------------------------------------------------------------- printing
def format_reports(reports: list[SetReport], verbose: bool = False, show_test: bool = False) -> str:
    """Each set and split's false alarms (and with ``verbose`` each document's misses), then one
    summary line per set and split, last, where a reader of the tail finds them."""
    details, summary = [], []
    for r in reports:
        if not r.documents:
            summary.append(f"{r.set_id} {r.split}: no documents scored")
        else:
            summary.append(summary_line(r))
        if r.absent:
            summary.append(f"    {len(r.absent)} documents absent: {', '.join(r.absent[:6])}"
                           f"{' …' if len(r.absent) > 6 else ''}")
        if r.unscored_alarms:
            summary.append(f"    {r.unscored_alarms} alarms on documents without gold (not scored)")
        open_split = r.split != "test" or show_test
        if r.false_alarms and not open_split:
            summary.append(f"    false alarms: {len(r.false_alarms)} (held back; --show-test lists them)")
        if not open_split or not (r.false_alarms or verbose):
            continue
        details.append(f"{r.set_id} {r.split}:")
        if r.false_alarms:
            details.append(f"    false alarms ({len(r.false_alarms)}):")
            details.extend(f"      {a.doc}  {a.severity}  {a.rule}  {a.message}" for a in r.false_alarms)
        if verbose:
            for d in r.docs:
                details.append("    " + doc_line(d))
                details.extend(f"        {m}" for m in d.misses)
    return "\n".join(details + ([""] if details else []) + summary)


def summary_line(r: SetReport) -> str:
    scope = "" if r.scoped_line_items else " (without scope)"
    return (f"{r.set_id} {r.split} ({r.documents} documents): "
            f"facts P={r.facts.precision:.2f} R={r.facts.recall:.2f} F1={r.facts.f1:.2f} | "
            f"line items{scope} P={r.line_items.precision:.2f} R={r.line_items.recall:.2f} "
            f"F1={r.line_items.f1:.2f} | rates {r.rates.right}/{r.rates.total} "
            f"codes {r.codes.right}/{r.codes.total} document {r.document.right}/{r.document.total} | "
            f"findings recall {r.findings.value:.2f} ({r.findings.right}/{r.findings.total}) | "
            f"alarm precision {_ratio(r.alarms)}")


def _ratio(r: Ratio) -> str:
    return f"{r.value:.2f} ({r.right}/{r.total})" if r.total else "— (no alarms)"


def doc_line(r: DocReport) -> str:
    q = f" quantities P={r.quantities.precision:.2f} R={r.quantities.recall:.2f}" if r.quantities.tp + r.quantities.fn else ""
    return (f"{r.name}: facts P={r.facts.precision:.2f} R={r.facts.recall:.2f} F1={r.facts.f1:.2f} | "
            f"line items P={r.line_items.precision:.2f} R={r.line_items.recall:.2f} F1={r.line_items.f1:.2f} | "
            f"rates {r.rates.right}/{r.rates.total} codes {r.codes.right}/{r.codes.total} "
            f"document {r.document.right}/{r.document.total} | findings {r.findings.right}/{r.findings.total} "
            f"alarms true {r.alarms.right}/{r.alarms.total}{q}")
