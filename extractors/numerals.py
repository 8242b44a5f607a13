"""Numbers written in Arabic or Chinese numerals, to exact ``Decimal`` values."""
from __future__ import annotations

import functools
from decimal import Decimal

import cn2an

CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
CN_DIGIT.update({"〇": 0, "两": 2, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4,
                 "伍": 5, "陆": 6, "陸": 6, "柒": 7, "捌": 8, "玖": 9})
CN_CHARS = "".join(CN_DIGIT) + "十百千万亿拾佰仟萬億点"
DAXIE = set("壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億")
_MULT = {"万": Decimal(10000), "萬": Decimal(10000), "亿": Decimal(100000000), "億": Decimal(100000000)}


def arabic(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def chinese(text: str) -> Decimal:
    """壹拾万零叁仟 -> 103000, 十八点八 -> 18.8, 一点五万 -> 15000.

    Raises ValueError for a run of numeral characters that is not a number (十十, 零十零).
    """
    try:
        return _chinese(text)
    except (ValueError, KeyError, ArithmeticError) as e:
        raise ValueError(f"not a Chinese numeral: {text}") from e


def _chinese(text: str) -> Decimal:
    if text[0] in "百千佰仟":   # 百分之百: the leading 一 is left out
        text = "一" + text
    if "点" not in text:
        return Decimal(cn2an.cn2an(text, "normal"))
    whole, frac = text.split("点", 1)
    scale = Decimal(1)
    while frac and frac[-1] in _MULT:
        scale *= _MULT[frac[-1]]
        frac = frac[:-1]
    digits = "".join(str(CN_DIGIT[c]) for c in frac) or "0"
    integer = Decimal(cn2an.cn2an(whole, "normal")) if whole else Decimal(0)
    return (integer + Decimal("0." + digits)) * scale


@functools.lru_cache(maxsize=16384)       # disclosures repeat their figures; equal values print alike
def to_str(value: Decimal) -> str:
    """The contract's decimal string: no exponent, no trailing zeros (128400, 0.188)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text
