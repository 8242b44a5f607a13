"""What the document is: type, fiscal year, department, region and its section tree."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .lexicon import Lexicon, Region, alternation
from .normalize import needs_normalizing, squashed

_CN_NUM = "一二三四五六七八九十百零〇"
# (level, the heading, longest plausible heading): a line is a heading of the first form it has
HEADING_FORMS = [
    (1, rf"第[{_CN_NUM}]+部分[^\n]*", 60),
    (2, rf"[{_CN_NUM}]+[、.．][^\n]*", 40),
    (3, rf"[（(][{_CN_NUM}]+[）)][^\n]*", 40),
    (4, r"\d{1,2}[、.．](?!\d)[^\n\d]*", 30),
    # table captions: 表一 收入支出决算总表, 附表3 …
    (3, rf"(?:附表|表)[{_CN_NUM}\d]+[ \t\u3000:：、.]*[^\n|]*", 50),
]
# all forms in one pattern, in order: the named group f<i> holds the heading of form i
_HEADING = re.compile(r"^[ \t\u3000]*(?:" + "|".join(f"(?P<f{i}>{form})" for i, (_, form, _) in enumerate(HEADING_FORMS))
                      + ")$", re.M)
# 年 may come as "-" in mirrors that drop it (2015-三公经费): a hyphen followed by a character, not a digit
_NIAN = r"(?:年度?|-(?=[\u4e00-\u9fff]))"
YEAR_TITLE = re.compile(rf"(20\d{{2}}|19\d{{2}})(?<![与比较同]\d{{4}})\s*{_NIAN}\s*(?:[^\s，。,]{{0,20}}?)(?:决算|预算|绩效)")
_CLAUSE_MARK = re.compile(r"[，,:：]")
# a year, not one a change compares with (较2020年度); look-behinds after the digits: see _YEAR_IN
YEAR = re.compile(r"(20\d{2}|19\d{2})(?<!\d{5})(?<![与比较同]\d{4})(?=\s*年)")
_OPENING_LINES = 6       # the lines at the top of a page where its title may stand


@dataclass
class Section:
    heading: str
    level: int
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"heading": self.heading, "level": self.level, "start": self.start, "end": self.end}


@dataclass
class DocumentInfo:
    doc_type: str = "unknown"
    fiscal_year: int | None = None
    department: str | None = None
    region: dict = field(default_factory=lambda: {"province": None, "city": None, "county": None, "code": None})
    sections: list[Section] = field(default_factory=list)
    scope: str = "department"       # department | government (a region's budget report)

    @property
    def phase(self) -> str:
        return "budgeted" if self.doc_type == "budget" else "executed"


class DocumentReader:
    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        docs = lex.documents
        self.heading_words = re.compile(
            rf"^[ \t\u3000]*((?:{alternation(docs['heading_words'])})[^\n]{{0,30}})$", re.M)
        self.doc_types = [(d["type"], re.compile(d["pattern"])) for d in docs["doc_types"]]
        # after a region name: more region names, then up to 14 characters, then an organisation word
        breaks = alternation(docs.get("org_name_breaks") or ()) or "(?!)"
        suffix = alternation(docs['org_suffixes'])
        self.org_after_region = re.compile(rf"(?:(?!{breaks})[\u4e00-\u9fff]){{0,14}}?(?:{suffix})")
        # 中心学校: the name goes on to its last suffix of two characters or more (not 财政局局属单位)
        self.org_suffix_more = re.compile(rf"(?:{alternation(w for w in docs['org_suffixes'] if len(w) > 1)})+")
        gov = docs.get("government_scope") or {}
        self.government_markers = [re.compile(p) for p in gov.get("markers", [])]
        self.government_min = gov.get("min_markers", 3)
        self.government_title = re.compile(gov.get("title") or "(?!)")
        self.department_title = re.compile(gov.get("department_title") or "(?!)")
        self.department_markers = re.compile(alternation(gov.get("department_markers", [])) or "(?!)")
        self.region_names = re.compile(alternation(lex.regions_by_name))
        self.region_suffix = re.compile(f"[{re.escape(lex.region_suffixes)}]")

    def read(self, text: str, working: str | None = None) -> DocumentInfo:
        """``text`` is the original (sections keep its offsets); ``working`` the normalized copy
        (简体, pinyin glosses and quotes gone) that the type, year, name and scope are read from."""
        working = text if working is None else working
        info = DocumentInfo()
        info.sections = self.sections(text)
        headings = [squashed(s.heading) if needs_normalizing(s.heading) else s.heading for s in info.sections]
        info.doc_type = self.doc_type(working, headings)
        info.fiscal_year = self.fiscal_year(working, headings)
        info.department = self.department_name(working)
        info.region = self.region(info.department, working)
        info.scope = self.scope(working, headings)
        return info

    def scope(self, text: str, headings: list[str]) -> str:
        """government when the title is a region's budget report, or, with no such title, when the
        text reads as one and never as a department's."""
        first = [line.strip() for line in text.lstrip().split("\n", 10)[:10]]
        for line in [*first, *headings[:3]]:
            if len(line) > 60:
                continue
            if self.department_title.search(line):
                return "department"
            if self.government_title.search(line):
                return "government"
        if self.department_markers.search(text):
            return "department"
        found = sum(1 for p in self.government_markers if p.search(text))
        return "government" if found >= self.government_min else "department"

    def sections(self, text: str) -> list[Section]:
        found: dict[int, Section] = {}
        for m in _HEADING.finditer(text):
            level, _, max_len = HEADING_FORMS[int(m.lastgroup[1:])]
            heading, start = m.group(m.lastgroup).strip(), m.start(m.lastgroup)
            if len(heading) <= max_len and start not in found:
                found[start] = Section(heading, level, start, len(text))
        for m in self.heading_words.finditer(text):
            heading = m.group(1).strip()
            if m.start(1) not in found and not _CLAUSE_MARK.search(heading, 0, len(heading) - 1):
                found[m.start(1)] = Section(heading.rstrip("。"), 2, m.start(1), len(text))
        ordered = sorted(found.values(), key=lambda s: s.start)
        open_sections: list[Section] = []      # a section ends where the next one of its level or above starts
        for sec in ordered:
            while open_sections and open_sections[-1].level >= sec.level:
                open_sections.pop().end = sec.start
            open_sections.append(sec)
        return ordered

    def doc_type(self, text: str, headings: list[str]) -> str:
        first = text.lstrip().split("\n", 1)[0]
        titles = [first] if len(first) <= 60 and "，" not in first else []
        # a stored web page may open with its site's lines (归档时间, 当前位置: 首页 > …): the title
        # is then the first short line of the opening ones that names a year
        opening = [ln.strip() for ln in text.lstrip().split("\n", _OPENING_LINES + 1)[1:_OPENING_LINES + 1]]
        titles += [ln for ln in opening if len(ln) <= 60 and "，" not in ln and YEAR.search(ln)][:1]
        for line in [*titles, *headings]:
            for doc_type, pattern in self.doc_types:
                if pattern.search(line):
                    return doc_type
        counts = {t: len(p.findall(text)) for t, p in self.doc_types}
        best = max(counts, key=counts.get)
        return best if counts[best] else "unknown"

    def fiscal_year(self, text: str, headings: list[str]) -> int | None:
        for line in [text.lstrip()[:200], *headings]:
            m = YEAR_TITLE.search(line)
            if m:
                return int(m.group(1))
        years = Counter(int(y) for y in YEAR.findall(text))
        return years.most_common(1)[0][0] if years else None

    def department_name(self, text: str) -> str | None:
        """The most frequent organisation name that starts with a region: 盐边县总工会."""
        counts: Counter[str] = Counter()
        for hit in self.region_suffix.finditer(text):
            name = self.lex.region_ending_at(text, hit.start())
            if name is None:
                continue
            m = self.org_after_region.match(text, hit.end())
            if m:
                more = self.org_suffix_more.match(text, m.end())
                counts[text[hit.end() - len(name):more.end() if more else m.end()]] += 1
        if not counts:
            return None
        best = max(counts.values())
        # among the most frequent, the first in the text (the title, usually)
        return next(name for name, n in counts.items() if n == best)

    def region(self, department: str | None, text: str) -> dict:
        empty = {"province": None, "city": None, "county": None, "code": None}
        if not department:
            return empty
        names = []
        pos = 0
        while True:
            m = self.region_names.match(department, pos)
            if not m:
                break
            names.append(m.group())
            pos = m.end()
        if not names:
            return empty
        candidates = self.lex.regions_by_name[names[-1]]
        if len(candidates) > 1:
            candidates = [r for r in candidates if r.province in text or (r.city and r.city in text)] or candidates
        if len(candidates) != 1:
            return {**empty, ("county" if candidates[0].level == "county" else candidates[0].level): names[-1]}
        return self._region_dict(candidates[0])

    @staticmethod
    def _region_dict(r: Region) -> dict:
        if r.level == "province":
            return {"province": r.name, "city": None, "county": None, "code": r.code}
        if r.level == "city":
            return {"province": r.province, "city": r.name, "county": None, "code": r.code}
        return {"province": r.province, "city": r.city or None, "county": r.name, "code": r.code}
