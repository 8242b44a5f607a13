"""Checks of the text itself (lexicons/checks.yaml ``text_checks``): a template's placeholders left
in, doubled punctuation, a heading or set phrase of another year than the document's, and a
statement the contents list that the document does not print. Each finding quotes the words it
is about; offsets are into the original text."""
from __future__ import annotations

import functools
import re
from decimal import Decimal

from . import checks
from .checks import rules
from .table_reader import named_statement, statement_rules


class _Pattern:
    """A placeholder pattern of checks.yaml with the conditions on the character before it."""

    def __init__(self, spec: dict) -> None:
        self.pattern = re.compile(spec["pattern"], re.M)
        self.before = re.compile(spec["before"]) if spec.get("before") else None
        self.not_before = re.compile(spec["not_before"]) if spec.get("not_before") else None
        self.back_over = re.compile(spec["back_over"]) if spec.get("back_over") else None
        self.needs = tuple(spec.get("needs") or ())
        self.prefix = re.compile(spec["prefix"]) if spec.get("prefix") else None
        self.blank_before = bool(spec.get("blank_before"))

    def spans(self, text: str):
        """(start, end) of each match whose character before it passes."""
        if self.needs and not any(n in text for n in self.needs):
            return
        for m in self.pattern.finditer(text):
            start = m.start()
            if self.prefix is not None and start and self.prefix.match(text[start - 1]):
                start -= 1
            i = start - 1
            while self.back_over is not None and i >= 0 and self.back_over.match(text[i]):
                i -= 1
            if self.blank_before and i == start - 1:
                continue
            ch = text[i] if i >= 0 else ""
            if self.before is not None and not (ch and self.before.match(ch)):
                continue
            if self.not_before is not None and ch and self.not_before.match(ch):
                continue
            yield (i + 1 if self.back_over is not None else start), m.end()


@functools.lru_cache(maxsize=1)
def _compiled() -> dict:
    spec = rules()["text_checks"]
    year = spec["year_mismatch"]
    return {
        "placeholder": [_Pattern(p) for p in spec["placeholder"]["patterns"]],
        "comparison_word": re.compile("|".join(map(re.escape, spec["wording_mismatch"]["words"]))),
        "repeated_punctuation": re.compile(
            "([" + "".join(map(re.escape, spec["repeated_punctuation"]["marks"])) + r"])\1+"),
        "heading_words": re.compile(year["heading_words"]),
        "year_comparison_words": re.compile(year["comparison_words"]),
        "year_phrases": [re.compile(p) for p in year["phrases"]],
        "contents_heading": re.compile(spec["missing_statement"]["contents_heading"], re.M),
        "max_contents_chars": spec["missing_statement"]["max_contents_chars"],
        "severity": {k: v["severity"] for k, v in spec.items()},
        "comparison": _comparison_pattern(spec["wording_mismatch"]),
        "comparison_words": spec["wording_mismatch"]["words"],
    }


# an amount that starts where a number starts: inside a long run of digits no match may begin
_AMOUNT = r"(?<![\d,.])(?P<{name}>\d[\d,]*(?:\.\d+)?)\s*(?P<{name}_unit>万元|元)"


def _comparison_pattern(spec: dict) -> re.Pattern:
    gap = spec["gap"]
    words = "|".join(map(re.escape, spec["words"]))
    # after the word, only what names the compared figure (上年, 2018年预算数, 年初预算的)
    compared = rf"(?:{spec['compared']})?"
    return re.compile(_AMOUNT.format(name="a") + rf"[，,]?[^，。；,;\n\d]{{0,{gap}}}?(?P<w>{words})"
                      + compared + _AMOUNT.format(name="b"))


_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def has_contents(text: str) -> bool:
    """The document prints a contents list (目录), whose statements missing_statement checks."""
    return _compiled()["contents_heading"].search(text) is not None


def text_findings(text: str, fiscal_year: int | None, headings, evidence, whole_file: bool = False) -> list[dict]:
    """``headings``: (heading, start) of the document's sections; ``evidence(start, end)`` gives
    an evidence dict of the original text. ``whole_file``: the text is a whole published file (a
    PDF, a .docx), so a statement its contents list must be in it; a web page's tables are often
    attachments of their own."""
    c = _compiled()
    missing = _missing_statements(text, c, evidence) if whole_file else []
    return (_placeholders(text, c, evidence) + _repeated_punctuation(text, c, evidence)
            + _other_years(text, fiscal_year, headings, c, evidence) + _comparisons(text, c, evidence) + missing)


def _finding(rule: str, message: str, evidence: list[dict], c: dict, expected=None, actual=None,
             **extra) -> dict:
    """A finding of the rule's severity in checks.yaml (a text check reads no figure in doubt)."""
    return checks._finding(rule, c["severity"][rule], message, expected, actual, evidence, **extra)


def _context(text: str, start: int, end: int, width: int = 12) -> tuple[int, int]:
    """The words around a match, within its line."""
    s = max(text.rfind("\n", 0, start) + 1, start - width)
    e = text.find("\n", end)
    return s, min(e if e >= 0 else len(text), end + width)


_BARE_NUMBER_LINE = re.compile(r"^[ \t]*[\d,.]+[ \t]*$", re.M)
_CLAUSE_MARK = re.compile(r"[，。；,;：:]")


def _numbers_on_own_lines(text: str, pos: int, around: int = 300) -> bool:
    return bool(_BARE_NUMBER_LINE.search(text, max(0, pos - around), pos + around))


def _clause_context(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of a blank and the one before it (75800元，占%：the figure the blank is a share of)."""
    marks = [m.start() for m in _CLAUSE_MARK.finditer(text, max(0, start - 60), start)]
    s = marks[-2] + 1 if len(marks) >= 2 else max(0, start - 30)
    nxt = _CLAUSE_MARK.search(text, end)
    e = nxt.start() if nxt and nxt.start() - end < 40 else min(len(text), end + 12)
    return s, e


_SAME_BLANK = 1     # matches that overlap or touch are one blank


def _placeholders(text: str, c: dict, evidence) -> list[dict]:
    out, seen = [], set()
    for pattern in c["placeholder"]:
        for start, end in pattern.spans(text):
            if "\n" in text[start:end] and _numbers_on_own_lines(text, start):
                continue              # the PDF's text layer set the sentence's numbers apart
            if any(start < done_e + _SAME_BLANK and done_s < end + _SAME_BLANK for done_s, done_e in seen):
                continue              # two patterns may match one blank (支出 万元): one finding
            seen.add((start, end))
            s, e = _clause_context(text, start, end)
            out.append(_finding("placeholder", f"文中留有模板占位或空白：“{' '.join(text[s:e].split())}”，请填写实际内容。",
                                [evidence(s, e)], c, _blank=(s, start, end)))
    return out


def blanks_stated_elsewhere(findings: list[dict], facts: list[dict], text: str, find_terms) -> None:
    """A blank that is a concept's amount (其中：因公出国（境）费为XX万元: the concept, a few filler
    words, the blank, a unit of money) where the document states that concept elsewhere with one
    value (因公出国（境）费为0万元): the finding cites that statement too, for the reader to fill the
    blank from. A blank that is no amount (上海市XX局, 主要原因：XXX), a concept far from it, several
    values or none: the finding stands as it is."""
    from .normalize import normalize
    for f in findings:
        clause_start, blank, blank_end = f.pop("_blank", (None, None, None))
        if clause_start is None or not _MONEY_AFTER_BLANK.match(text, blank_end):
            continue
        before = normalize(text[clause_start:blank]).text
        terms = [t for t in find_terms(before) if t[2] == "concept"]
        if not terms or len(before) - terms[-1][1] > _FILLER_REACH or _CLAUSE_MARK.search(before, terms[-1][1]):
            continue
        concept, here = terms[-1][3], f["evidence"][0]
        stated = [x for x in facts if x["concept"] == concept and "start" in x["evidence"]
                  and not (x["evidence"]["start"] < here["end"] and here["start"] < x["evidence"]["end"])]
        if stated and len({x["value"] for x in stated}) == 1:
            where = stated[0]["evidence"]
            f["evidence"].append(dict(where))
            f["message"] += f"文中另处写作“{' '.join(where['text'].split())}”。"


_MONEY_AFTER_BLANK = re.compile(r"\s*(?:万元|元|亿元)")
_FILLER_REACH = 8       # 为 / 预算为 / 年初预算为: the words between a concept and its amount


def _repeated_punctuation(text: str, c: dict, evidence) -> list[dict]:
    out = []
    for m in c["repeated_punctuation"].finditer(text):
        s, e = _context(text, m.start(), m.end(), 8)
        out.append(_finding("repeated_punctuation", f"标点重复：“{text[s:e].strip()}”，请删去多余的“{m.group(1)}”。",
                            [evidence(s, e)], c))
    return out


def _comparisons(text: str, c: dict, evidence) -> list[dict]:
    """A 大于 (小于, 持平) between two amounts of the same unit that the amounts contradict."""
    out, done = [], -1
    for word in c["comparison_word"].finditer(text):
        if word.start() < done:
            continue
        # the amounts stand within a clause of the word: read only that window
        lo, hi = max(0, word.start() - 60), min(len(text), word.end() + 60)
        if "元" not in text[lo:word.start()] or "元" not in text[word.end():hi]:
            continue             # no amount on one side of the word
        m = next((m for m in c["comparison"].finditer(text, lo, hi)
                  if m.start("w") == word.start()), None)
        if m is None:
            continue
        done = m.end()
        if m.group("a_unit") != m.group("b_unit"):
            continue
        a, b = (Decimal(m.group(k).replace(",", "")) for k in ("a", "b"))
        stated = c["comparison_words"][m.group("w")]
        actual = "gt" if a > b else "lt" if a < b else "eq"
        if stated == actual:
            continue
        unit = m.group("a_unit")
        out.append(_finding(
            "wording_mismatch",
            f"“{m.group()}”：{m.group('a')}{unit}与{m.group('b')}{unit}相比，不是“{m.group('w')}”，请核对用词或数字。",
            [evidence(m.start(), m.end())], c, expected=actual, actual=stated))
    return out


def _other_years(text: str, fiscal_year: int | None, headings, c: dict, evidence) -> list[dict]:
    if fiscal_year is None:
        return []
    out = []
    dated = [(heading, start, {int(y) for y in _YEAR.findall(heading)}) for heading, start in headings
             if c["heading_words"].search(heading) and not c["year_comparison_words"].search(heading)]
    if not any(fiscal_year in years for _, _, years in dated):
        dated = []      # no heading of the document's year: the year read may be the wrong one
    for heading, start, years in dated:
        if years and fiscal_year not in years:
            out.append(_finding(
                "year_mismatch",
                f"标题“{heading.strip()}”的年度为{'、'.join(f'{y}年' for y in sorted(years))}，与本文件的{fiscal_year}年度不符，请核对。",
                [evidence(start, start + len(heading))], c,
                expected=fiscal_year, actual="、".join(str(y) for y in sorted(years))))
    for pattern in c["year_phrases"]:
        for m in pattern.finditer(text):
            year = int(m.group("year"))
            if year != fiscal_year:
                out.append(_finding(
                    "year_mismatch", f"“{m.group()}”的年度为{year}年，与本文件的{fiscal_year}年度不符，请核对。",
                    [evidence(m.start(), m.end())], c, expected=fiscal_year, actual=year))
    return out


def _missing_statements(text: str, c: dict, evidence) -> list[dict]:
    """Each statement the contents name (五、财政拨款支出预算表) must be printed: a caption of the
    same statement (its words perhaps in another order: 财政拨款政府性基金支出预算表) after the
    contents. A file that prints fewer than half of the statements it lists publishes its tables
    apart (部门预算 and 部门预算表 as two files): that is no finding."""
    m = c["contents_heading"].search(text)
    if m is None:
        return []
    contents_end = _contents_end(text, m.end(), c["max_contents_chars"])
    listed = []
    for line_m in re.finditer(r"[^\n]+", text[m.end():contents_end]):
        named = _caption_statement(line_m.group())
        if named is not None:
            listed.append((named, m.end() + line_m.start(), line_m.group()))
    printed = {named.id for line in text[contents_end:].split("\n")
               if (named := _caption_statement(line)) is not None}
    missing = [entry for entry in listed if entry[0].id not in printed]
    if not listed or len(missing) * 2 > len(listed):
        return []
    return [_finding("missing_statement", f"目录列有“{_entry_name(line)}”，但文中未见该表，请核对是否漏印。",
                     [evidence(start, start + len(line))], c, statement=named.id)
            for named, start, line in missing]


def _caption_statement(line: str):
    """The statement a line names as a table's caption or contents entry (…预算表), not as the
    heading of a section about it (…情况说明)."""
    rules = statement_rules()
    name = _entry_name(rules["caption_end"].split(line, maxsplit=1)[0])
    name = re.sub(r"[（(][^）)]{1,10}[）)]$", "", name.strip(" |"))
    if not name.endswith("表") or "说明" in name or len(name) > 60:
        return None
    return named_statement(name)


def _contents_end(text: str, start: int, limit: int) -> int:
    """Where the contents stop: at a line that repeats an entry (the body opens with the heading
    the contents list first), at a table's row or a line of prose, else ``limit`` characters on."""
    seen = set()
    for mm in re.finditer(r"[^\n]+", text[start:start + limit]):
        line = mm.group()
        name = _entry_name(line)
        if line.lstrip().startswith("|") or len(line.strip()) > 60 or (name and name in seen):
            return start + mm.start()
        if name:
            seen.add(name)
    return min(len(text), start + limit)


_LEADERS = re.compile(r"[.…·．\-—_\s]{2,}\d*\s*$|\s+\d+\s*$")


def _entry_name(line: str) -> str:
    """A contents line without its dot leaders, page number and outline number."""
    return _OUTLINE.sub("", _LEADERS.sub("", line).strip(" |")).strip()


_OUTLINE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|公开\d+表|表[一二三四五六七八九十\d]+)\s*")

