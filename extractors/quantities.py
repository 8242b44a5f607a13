"""Every number with a unit: money, percentages, percentage points and counts.

One compiled pattern finds the candidates; :func:`parse` turns each into an :class:`Amount`.
Dates (2021年), outline numbers (1., （二）) and document numbers (川财建【2021】167#) carry no
unit and so never match.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from .lexicon import Lexicon, alternation, get_lexicon
from .numerals import CN_CHARS, DAXIE, arabic, chinese, to_str

# Possessive: a unit never starts with a digit, so giving digits back can never make a match.
# Bounded: no amount has more than 20 integer digits or 40 numeral characters, and the bound keeps
# the scan linear in a long run of digits or numerals (each start would otherwise read to its end).
AR = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,20}+)(?:\.\d++)?"
CN_FIRST = "零〇一二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖十拾"
CN = rf"(?:[{CN_FIRST}][{CN_CHARS}]{{0,40}})"
# every alternative of the quantity pattern begins with one of these (百 for 百分之)
_CAN_START = re.compile(rf"[\d百{CN_FIRST}]")
_DIGIT_RUN = re.compile(r"\d{2,20}+(?!\d)")
_DIGITS = re.compile(r"\d+")
INNER_FORMS = ("余", "多")
INNER = rf"(?:{'|'.join(INNER_FORMS)})"
_MISSING = object()
_NOT_BEFORE = set("0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
RANGE_SEPARATORS = ("-", "~", "—", "至", "到")
RANGE_SEP = rf"(?:{'|'.join(RANGE_SEPARATORS)})"


@dataclass(slots=True)
class Amount:
    """A quantity in the text: raw text, exact value, unit, scale and qualifier."""

    text: str
    value: Decimal
    unit: str | None          # CNY, %, 人次, …
    kind: str                 # money | percent | percentage_point | count | other
    scale: Decimal            # yuan per stated unit (10000 for 万元); 1 for others
    qualifier: str | None
    start: int               # working-copy offsets until the result is built
    end: int
    value_max: Decimal | None = None
    unit_inferred: bool = False
    unit_declared: bool = False     # the unit came from a 单位：万元 declaration, not a guess

    def at(self, start: int, end: int) -> "Amount":
        """The same reading at another place in the text."""
        return Amount(self.text, self.value, self.unit, self.kind, self.scale, self.qualifier, start, end,
                      self.value_max, self.unit_inferred, self.unit_declared)

    def to_dict(self, start: int | None = None, end: int | None = None, text: str | None = None) -> dict:
        """The contract's quantity; ``start``, ``end`` and ``text`` in the original text if given."""
        d = {"text": self.text if text is None else text, "kind": self.kind, "value": to_str(self.value),
             "unit": self.unit, "qualifier": self.qualifier,
             "start": self.start if start is None else start, "end": self.end if end is None else end}
        if self.value_max is not None:
            d["value_max"] = to_str(self.value_max)
        if self.unit_inferred:
            d["unit_inferred"] = True
        return d


class QuantityFinder:
    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        q = lex.qualifier_forms
        units = [*lex.money_scales, *lex.count_units, "个百分点", "%"]
        mult = alternation(lex.multipliers)
        # what may follow a number: one character-class test, so that a numeral inside a word (一般)
        # or a year (2021年) fails at once instead of after trying every unit
        follow = {u[0] for u in units} | {m[0] for m in lex.multipliers} | set(RANGE_SEPARATORS) | set(INNER_FORMS)
        can_follow = "(?=[" + re.escape("".join(sorted(follow))) + "])"
        # The pattern starts at a digit or a numeral (_matches jumps between those); a qualifier
        # before the number (约, 近, 不超过 …) and the character before it are checked after.
        self.pattern = re.compile(
            rf"(?:百分之(?P<pcn>{CN}|百)"
            rf"|(?P<x1>\d{{1,20}}+)万(?P<x2>\d)(?![\d.%])(?P<xunit>千元|元)?"
            rf"|(?P<num>{AR}|{CN}){can_follow}(?:{RANGE_SEP}(?P<num2>{AR}|{CN}))?"
            rf"(?P<in1>{INNER})?(?P<mult>{mult})?(?P<in2>{INNER})?(?P<unit>{alternation(units)}))"
            rf"(?P<suf>{alternation(q['suffix'])})?"
        )
        self.prefixes = sorted(q["prefix"], key=len, reverse=True)
        self.prefix_last = {form[-1] for form in self.prefixes}
        self.not_quantities = re.compile(alternation(lex.units["not_quantities"]))
        self.bare = re.compile(rf"(?<![\d.]){AR}(?![\d.%])")

    def find(self, text: str) -> list[Amount]:
        blocked = set()
        for m in self.not_quantities.finditer(text):
            blocked.update(range(*m.span()))
        found = []
        cache: dict = {}              # per document, so that a benchmark repeating one text gains nothing
        for m in self._matches(text):
            # a disclosure repeats its amounts (0万元，占0%): the reading depends only on the match
            # and a few characters around it, so it is computed once per distinct window
            s, e = m.start(), m.end()
            key = self._key(m, text, s, e)
            template = cache.get(key, _MISSING)
            if template is _MISSING:
                try:
                    amount = self.parse(m, text)
                except ValueError:      # numeral characters that do not form a number
                    amount = None
                cache[key] = None if amount is None else (amount, amount.start - s)
            elif template is None:
                continue
            else:                       # amounts are never changed once made, so the first can be the template
                proto, shift = template
                amount = proto.at(s + shift, e)
            if amount is None or (blocked and not blocked.isdisjoint(range(amount.start, amount.end))):
                continue
            found.append(amount)
        return found

    def _matches(self, text: str):
        """The same matches as ``self.pattern.finditer(text)``, found twice as fast: re tries a
        pattern whose alternatives begin with character classes at every position of the text,
        so the scan jumps from one character that can begin a quantity to the next instead."""
        pos, match, next_start, digits = 0, self.pattern.match, _CAN_START.search, _DIGIT_RUN.match
        while (c := next_start(text, pos)) is not None:
            start = c.start()
            if start and text[start - 1] == "." and text[start].isdigit():
                # the decimals of a number that ended there: 400.5,420.5万元 is read from its 420.5
                pos = _DIGITS.match(text, start).end()
                continue
            m = match(text, start)
            if m is None:
                pos = c.start() + 1
                # A start inside a run of digits that the run's first digit could not begin reads
                # the same run end and what follows it, so it fails too (a year, a code 2080501);
                # a comma after the run (12345,678) or a run beyond the pattern's 20 digits can
                # begin a match inside it, and those are tried digit by digit.
                if (run := digits(text, c.start())) is not None and text[run.end():run.end() + 1] != ",":
                    pos = run.end()
            else:
                yield m
                pos = m.end()

    def _key(self, m: re.Match, text: str, s: int, e: int):
        """What a match's reading depends on: the match, and of the text before it only whether it
        ends in a qualifier, a digit or letter, or 第. A Chinese numeral is also segmented with its
        neighbours, so its key keeps them."""
        first = text[s]
        if not (first.isdigit() or first == "百"):
            return text[max(0, s - 4):e + 2], min(s, 4)
        prev = text[s - 1] if s else ""
        if prev in self.prefix_last:
            return m.group(), text[max(0, s - 3):s]
        return m.group(), prev if (prev in _NOT_BEFORE or prev == "第") else ""

    def parse(self, m: re.Match, text: str) -> Amount | None:
        g = m.groupdict()
        if g["num"] is not None and m.start() > 0 and text[m.start() - 1] in _NOT_BEFORE:
            return None                     # inside a longer number or a code (A2, 1.5 …)
        qualifier, start = None, m.start()
        if start and text[start - 1] in self.prefix_last:
            for form in self.prefixes:
                if start >= len(form) and text.startswith(form, start - len(form)):
                    qualifier, start = self.lex.qualifier_forms["prefix"][form], start - len(form)
                    break
        if m.start("x1" if g["x1"] else "pcn" if g["pcn"] else "num") > 0:
            before = text[m.start("x1" if g["x1"] else "pcn" if g["pcn"] else "num") - 1]
            if before == "第":
                return None
        if g["pcn"]:
            return Amount(text[start:m.end()], chinese(g["pcn"]) / 100, "%", "percent", Decimal(1),
                          self._suffix(g, qualifier), start, m.end())
        if g["x1"]:
            value = Decimal(g["x1"]) * 10000 + Decimal(g["x2"]) * 1000
            kind, unit = ("money", "CNY") if g["xunit"] else ("other", None)
            return Amount(text[start:m.end()], value, unit, kind, Decimal(1), qualifier, start, m.end())
        return self._with_unit(m, g, qualifier, text, start)

    def _suffix(self, g: dict, qualifier: str | None) -> str | None:
        if g["suf"]:
            return self.lex.qualifier_forms["suffix"][g["suf"]]
        return qualifier

    def _with_unit(self, m: re.Match, g: dict, qualifier: str | None, text: str, start: int) -> Amount | None:
        num, unit = g["num"], g["unit"]
        is_cn = not num[0].isdigit()
        value = chinese(num) if is_cn else arabic(num)
        value_max = None
        if g["num2"]:
            value_max = chinese(g["num2"]) if not g["num2"][0].isdigit() else arabic(g["num2"])
        mult = self.lex.multipliers.get(g["mult"], Decimal(1)) if g["mult"] else Decimal(1)
        inner = g["in1"] or g["in2"]
        if inner:
            qualifier = "more_than"
        qualifier = self._suffix(g, qualifier)
        if unit == "%" or unit == "个百分点":
            if g["mult"] or inner:
                return None
            kind = "percent" if unit == "%" else "percentage_point"
            scale = Decimal(1)
            value = value / 100 if unit == "%" else value
            value_max = (value_max / 100 if unit == "%" else value_max) if value_max is not None else None
            return Amount(text[start:m.end()], value, "%" if unit == "%" else "个百分点", kind, scale,
                          qualifier, start, m.end(), value_max)
        if unit in self.lex.money_scales:
            scale = mult * self.lex.money_scales[unit]
            return Amount(text[start:m.end()], value * scale, "CNY", "money", scale, qualifier,
                          start, m.end(), value_max * scale if value_max is not None else None)
        count_unit, discrete = self.lex.count_units[unit]
        if discrete and mult == 1 and value != value.to_integral_value():
            return None
        if is_cn and mult == 1 and (value < 2 and not (set(num) & DAXIE)):
            return None
        if is_cn and m.start() > 0 and text[m.start() - 1] in "“\"‘「":
            return None
        if is_cn and not self._stands_alone(text, m.start("num"), m.end()):
            return None
        return Amount(text[start:m.end()], value * mult, count_unit, "count", mult, qualifier,
                      start, m.end(), value_max * mult if value_max is not None else None)

    @staticmethod
    def _stands_alone(text: str, start: int, end: int) -> bool:
        """Segmentation decides whether a Chinese numeral begins a quantity or ends a word:
        李四人民币 (a name, 四 is not 4 人) and 第三人 are words that straddle the numeral."""
        left = max(0, start - 4)
        for word, w_start, w_end in segmenter().tokenize(text[left:end + 2]):
            w_start += left
            w_end += left
            if w_start < start < w_end < end:
                return False
        return True

    def bare_number(self, text: str, pos: int) -> re.Match | None:
        """A number with no unit at ``pos`` (决算数为270，): the caller decides its unit."""
        m = self.bare.match(text, pos)
        if m is None:
            return None
        nxt = text[m.end():m.end() + 1]
        if nxt and ("\u4e00" <= nxt <= "\u9fff") and nxt not in "占完比较与主":
            return None
        return m


@functools.lru_cache(maxsize=1)
def segmenter():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@functools.lru_cache(maxsize=1)
def get_finder() -> QuantityFinder:
    return QuantityFinder(get_lexicon())


def find_quantities(text: str) -> list[Amount]:
    """Every quantity in ``text`` (offsets into ``text``)."""
    return get_finder().find(text)
