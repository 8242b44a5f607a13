"""A working copy of the text for matching, with a map back to the original offsets.

Substitutions are one character for one character (full-width to half-width), so they keep
offsets. Deletions (quotes, spaces and line breaks inside words and numbers) are recorded as
breakpoints, and :meth:`NormText.span` maps a working-copy span back to the original text.
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass

# Full-width ASCII to half-width, except the Chinese comma (，), which stays a clause mark
# so that the ASCII comma can only be a thousands separator.
_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F) if i != 0xFF0C}
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20,
              0xFE6A: ord("%"), 0x2014: ord("—"), 0x301C: ord("~"), 0xFF5E: ord("~")})
# Disclosures are mostly CJK with a few hundred full-width marks: replacing just those is faster
# than translating every character.
_FOLD_CHARS = {chr(k): chr(v) for k, v in _FOLD.items()}
_FOLDABLE = re.compile("[" + re.escape("".join(_FOLD_CHARS)) + "]")


def _fold(text: str) -> str:
    # a few distinct marks (（）：；) repeated hundreds of times: one replace per distinct mark
    for ch in set(_FOLDABLE.findall(text)):
        text = text.replace(ch, _FOLD_CHARS[ch])
    return text

_QUOTES = "“”\"‘’「」『』\u200b\u200c\u200d\ufeff"
# Only quotes and white space can be deleted, so the scan looks at nothing else.
# a quote, or a run of white space; one leading character class lets the scan skip to candidates
# a pinyin gloss after a character, as mirrors print them: 預(yù)算
_PINYIN = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_CANDIDATES = re.compile(rf"[{_QUOTES} \t\r\n(](?:(?<=[ \t\r\n])[ \t\r\n]*|(?<=\()[{_PINYIN}]{{1,7}}\))?")
_UNIT_START = "万亿元%千"


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


_WORDISH = set("()、:，。;")


def _deletable(space: str, before: str, after: str) -> bool:
    """Whether a run of white space sits inside a word or a number (支\n出, 2019 年, 1.05 万\n元)."""
    newlines = space.count("\n")
    if newlines > 1 or not before or not after:
        return False
    if (_is_cjk(before) or before == "、") and _is_cjk(after):
        return True                                   # 支\n出, 江 苏 省
    if not newlines and (_is_cjk(before) or before in _WORDISH) and (_is_cjk(after) or after in _WORDISH):
        return True                                   # OCR: 出国(境 ) 费
    if _is_cjk(before) and after.isdigit():
        return True                                   # 总计\n24,169.74
    if (before.isdigit() or before == ".") and (_is_cjk(after) or after == "%") and not newlines:
        return True                                   # 2019 年, 10.06 %
    return before.isdigit() and newlines == 1 and after in _UNIT_START   # 2214.39\n万元


_TRADITIONAL = re.compile("[預決財撥經費會與為從數據說這時過當間實變關處區應總將無產檢義認稅際項體單辦們]")


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """繁體 to 简体 whatever the text (for short strings such as a gold figure, ``50萬元``)."""
    return _opencc().convert(text)


def to_simplified(text: str) -> str:
    """繁體 to 简体 (OpenCC), one character for one, so offsets into the original still hold.
    Runs only on text that has traditional characters at all."""
    if not _TRADITIONAL.search(text):
        return text
    cc = _opencc()
    converted = cc.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(c := cc.convert(ch)) == 1 else ch for ch in text)   # phrase rules changed a length


@dataclass
class NormText:
    original: str
    text: str
    _at: list[int]      # working-copy positions where deleted characters were
    _shift: list[int]   # total characters deleted before each of those positions

    def orig(self, i: int) -> int:
        if not self._at:
            return i
        k = bisect_right(self._at, i) - 1
        return i + (self._shift[k] if k >= 0 else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the working-copy span [start, end)."""
        if end <= start:
            o = self.orig(start)
            return o, o
        return self.orig(start), self.orig(end - 1) + 1

    def norm_pos(self, orig_index: int) -> int:
        """The working-copy position of an original offset (the next kept character)."""
        if not self._at:
            return min(max(orig_index, 0), len(self.text))
        starts = self._orig_starts
        k = bisect_right(starts, orig_index) - 1      # the run of kept characters it falls in or after
        if k < 0:
            return max(orig_index, 0) if orig_index < self._at[0] else self._at[0]
        pos = orig_index - self._shift[k]
        run_end = self._at[k + 1] if k + 1 < len(self._at) else len(self.text)
        return min(pos, run_end)                      # inside the run, or the next run's first character

    @functools.cached_property
    def _orig_starts(self) -> list[int]:
        """The original offset of the first character after each deletion."""
        return [a + s for a, s in zip(self._at, self._shift)]


_NEEDS = re.compile(rf"[{_QUOTES}(\uff01-\uff5e\u3000\u00a0]")
_GLOSS = re.compile(rf"(?<=[\u4e00-\u9fff])\([{_PINYIN}]{{1,7}}\)")
_WHITE = re.compile(r"\s+")
_NO_QUOTES = str.maketrans("", "", _QUOTES)


def needs_normalizing(text: str) -> bool:
    """Whether ``normalize`` would change more than white space in a short text: traditional
    characters, quotes, full-width forms, parentheses (a pinyin gloss)."""
    return bool(_TRADITIONAL.search(text) or _NEEDS.search(text))


def squashed(text: str) -> str:
    """A short text as the working copy reads it, without any white space: the key a table cell
    is matched by (預(yù)算 數 → 预算数). No offsets are kept."""
    text = _fold(to_simplified(_WHITE.sub("", text))).translate(_NO_QUOTES)
    return _GLOSS.sub(lambda m: "" if _is_gloss(m.group()[1:-1]) else m.group(), text) if "(" in text else text


def _is_gloss(word: str) -> bool:
    """A pinyin syllable with its tone mark (yù, xué); a bare ASCII word in parentheses is not."""
    return any(ch not in "abcdefghijklmnopqrstuvwxyz" for ch in word)


def normalize(text: str) -> NormText:
    folded = _fold(to_simplified(text))
    pieces, at, shift = [], [], []
    last = deleted = 0
    for m in _CANDIDATES.finditer(folded):
        a, b = m.span()
        if folded[a] == "(":
            if b - a < 3 or not _is_cjk(folded[a - 1:a] or " ") or not _is_gloss(folded[a + 1:b - 1]):
                continue
        elif folded[a] not in _QUOTES and not _deletable(folded[a:b], folded[a - 1:a], folded[b:b + 1]):
            continue
        pieces.append(folded[last:a])
        at.append(a - deleted)
        deleted += b - a
        shift.append(deleted)
        last = b
    pieces.append(folded[last:])
    return NormText(text, "".join(pieces), at, shift)
