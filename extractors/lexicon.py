"""Lexicons under ``lexicons/``, loaded once per process and compiled into matchers."""
from __future__ import annotations

import csv
import os
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import ahocorasick
import yaml

# The lexicons sit beside the package in a checkout; FISCAL_LEXICON_DIR points elsewhere
# (an installed wheel, a container).
LEXICON_DIR = Path(os.environ.get("FISCAL_LEXICON_DIR") or Path(__file__).resolve().parent.parent / "lexicons")


def _yaml(name: str):
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _tsv(name: str) -> list[dict]:
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def alternation(words) -> str:
    """A regex alternation that prefers the longest form."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    unit: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class FunctionCode:
    code: str
    name: str
    level: str  # class | kind | item
    parent: str | None
    cofog: str | None
    evidence: str
    former: tuple[str, ...] = ()       # official names of earlier years' 科目


LEVELS = {"类": "class", "款": "kind", "项": "item"}


def name_key(name: str) -> str:
    """Names compare without the trailing 支出 and with ASCII parentheses."""
    name = name.replace("（", "(").replace("）", ")")
    return name[:-2] if name.endswith("支出") and len(name) > 3 else name


@dataclass
class Classification:
    by_code: dict[str, FunctionCode] = field(default_factory=dict)
    # (level, name_key) -> codes; names repeat across kinds (行政运行), so a list
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)     # code -> other names

    def add(self, row: FunctionCode, names: list[str]) -> None:
        self.by_code[row.code] = row
        for n in names:
            codes = self.by_name.setdefault((row.level, name_key(n)), [])
            if row.code not in codes:
                codes.append(row.code)

    def lookup(self, level: str, name: str, parent: str | None = None) -> FunctionCode | None:
        codes = self.by_name.get((level, name_key(name)), [])
        if parent:
            codes = [c for c in codes if self.by_code[c].parent == parent]
        return self.by_code[codes[0]] if len(codes) == 1 else None

    def standard_name(self, row: FunctionCode, printed: str | None) -> str:
        """The row's name, or the printed one where it is the row's official name of an earlier year
        (a 2018 document's 行政事业单位离退休 is that year's standard name of 20805)."""
        if printed and name_key(printed) in {name_key(f) for f in row.former}:
            return printed
        return row.name

    def known_suffix(self, level: str, text: str) -> int:
        """Start index of the longest known name of ``level`` that ends ``text``, or -1."""
        for i in range(len(text) - 1):
            if (level, name_key(text[i:])) in self.by_name:
                return i
        return -1


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    province: str
    city: str


class Lexicon:
    """All data the extractors need, built once. Use :func:`get_lexicon`."""

    def __init__(self) -> None:
        self.concepts = self._load_concepts()
        self.units = _yaml("units.yaml")
        self.context = _yaml("context.yaml")
        self.documents = _yaml("documents.yaml")
        self.classification = self._load_classification()
        self.regions = [Region(**{k: r[k] for k in ("code", "name", "level", "province", "city")})
                        for r in _tsv("regions.tsv")]
        self.regions_by_name: dict[str, list[Region]] = {}
        for r in self.regions:
            self.regions_by_name.setdefault(r.name, []).append(r)
        self.terms = self._build_terms()
        self.region_suffixes = "".join(sorted({name[-1] for name in self.regions_by_name}))
        tails: dict[str, set[int]] = {}       # the lengths of the names ending in each two characters
        for name in self.regions_by_name:
            tails.setdefault(name[-2:], set()).add(len(name))
        self.region_lengths_by_tail = {tail: sorted(ns, reverse=True) for tail, ns in tails.items()}

    @staticmethod
    def _load_concepts() -> dict[str, Concept]:
        return {c["id"]: Concept(c["id"], c["label"], c["unit"], tuple(c["aliases"]))
                for c in _yaml("concepts.yaml")}

    @staticmethod
    def _load_classification() -> Classification:
        cls = Classification()
        for r in _tsv("function_classification.tsv"):
            level = LEVELS[r["level"]]
            former = tuple(a for a in (r.get("former") or "").split("|") if a)
            row = FunctionCode(r["code"], r["name"], level, r["parent_code"] or None,
                               r["cofog"] or None, r["evidence"], former)
            aliases = [a for a in (r["aliases"] or "").split("|") if a]
            cls.add(row, [r["name"], *aliases, *former])
            if aliases:
                cls.aliases[row.code] = tuple(aliases)
        return cls

    def _build_terms(self) -> ahocorasick.Automaton:
        """One automaton for concept aliases and class names: surface -> (kind, id)."""
        auto = ahocorasick.Automaton()
        for c in self.concepts.values():
            for a in c.aliases:
                auto.add_word(a, (len(a), "concept", c.id))
        for row in self.classification.by_code.values():
            if row.level != "class":
                continue
            for name in {row.name, *row.former, *self.classification.aliases.get(row.code, ())}:
                for form in {name, name_key(name)}:
                    if not auto.exists(form):
                        auto.add_word(form, (len(form), "class", row.code))
        auto.make_automaton()
        return auto

    def region_ending_at(self, text: str, last: int) -> str | None:
        """The longest region name whose last character is ``text[last]``."""
        for length in self.region_lengths_by_tail.get(text[max(0, last - 1):last + 1], ()):
            start = last - length + 1
            if start >= 0 and text[start:last + 1] in self.regions_by_name:
                return text[start:last + 1]
        return None

    def find_terms(self, text: str) -> list[tuple[int, int, str, str]]:
        """Longest, leftmost non-overlapping lexicon terms: (start, end, kind, id)."""
        found = []
        last_end = -1
        for end, (length, kind, ident) in self.terms.iter_long(text):
            start = end - length + 1
            if start >= last_end:
                found.append((start, end + 1, kind, ident))
                last_end = end + 1
        return found

    @functools.cached_property
    def money_scales(self) -> dict[str, Decimal]:
        return {u["surface"]: Decimal(str(u["scale"])) for u in self.units["money"]}

    @functools.cached_property
    def multipliers(self) -> dict[str, Decimal]:
        return {k: Decimal(str(v)) for k, v in self.units["multipliers"].items()}

    @functools.cached_property
    def count_units(self) -> dict[str, tuple[str, bool]]:
        """surface -> (unit, discrete)"""
        out = {}
        for u in self.units["counts"]:
            for s in u["surface"]:
                out[s] = (u["unit"], u.get("discrete", True))
        return out

    @functools.cached_property
    def qualifier_forms(self) -> dict[str, dict[str, str]]:
        """position -> surface -> qualifier"""
        return {pos: {s: q for q, forms in table.items() for s in forms}
                for pos, table in self.units["qualifiers"].items()}


@functools.lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    return Lexicon()
