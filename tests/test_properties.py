"""On arbitrary Unicode, extraction never raises and always returns contract-valid JSON."""
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import ExtractionError, extract

FISCAL = st.sampled_from(list("0123456789.,%万元亿人次名个（）()：:，。；、\n 年月日第一二三四五六七八九十百千零两")
                         + ["基本支出", "项目支出", "本年收入合计", "占", "完成预算", "与2020年相比", "增加", "下降",
                            "（类）", "（款）", "（项）", "一般公共服务", "三公经费", "核定编制", "无", "单位：万元", "|"])
TEXT = st.one_of(st.text(max_size=300), st.lists(FISCAL, max_size=80).map("".join))


def _check(text, validator):
    try:
        result = extract(text).to_dict()
    except ExtractionError as e:
        assert e.code in ("E001", "E004")
        return
    result = orjson.loads(orjson.dumps(result))
    assert list(validator.iter_errors(result)) == []
    for q in result["quantities"]:
        assert text[q["start"]:q["end"]] == q["text"]
    for row in result["facts"] + result["line_items"]:
        ev = row["evidence"]
        assert text[ev["start"]:ev["end"]] == ev["text"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXT)
def test_never_raises_and_stays_valid(validator, text):
    _check(text, validator)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_bytes_never_raise_anything_but_coded_errors(validator, data):
    try:
        result = extract(data, "x.txt").to_dict()
    except ExtractionError as e:
        assert e.code in ("E001", "E002", "E003", "E004", "E006", "E009", "E010")
        return
    assert list(validator.iter_errors(orjson.loads(orjson.dumps(result)))) == []


SPACED = st.lists(st.sampled_from(list("支出12.万元%、。a") + [" ", "\n", " \n ", "“", "”", "\u200b", "\t"]),
                  max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(SPACED)
def test_working_copy_offsets_map_both_ways(text):
    """norm_pos is the inverse of orig: the first kept character at or after an original offset."""
    from extractors.normalize import normalize
    norm = normalize(text)
    originals = [norm.orig(i) for i in range(len(norm.text))]
    assert originals == sorted(set(originals))                      # strictly increasing
    assert all(text[o] == norm.text[i] for i, o in enumerate(originals))     # no full-width here to fold
    for offset in range(-1, len(text) + 2):
        expected = next((i for i, o in enumerate(originals) if o >= offset), len(norm.text))
        assert norm.norm_pos(offset) == expected


def _every_position(pattern, text: str):
    """The pattern tried at every position, as finditer does, except inside the decimals of a
    number that ended (400.5,420.5万元: the 5 after the point begins no quantity)."""
    pos = 0
    while pos <= len(text):
        if pos and pos < len(text) and text[pos - 1] == "." and text[pos].isdigit():
            while pos < len(text) and text[pos].isdigit():
                pos += 1
            continue
        m = pattern.match(text, pos)
        if m is None or m.end() == m.start():
            pos += 1
            continue
        yield m
        pos = m.end()


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_quantity_scan_finds_what_the_pattern_finds(text):
    """The scan that jumps between characters able to start a quantity gives the matches of the
    pattern tried at every position."""
    from extractors.quantities import get_finder
    finder = get_finder()
    expected = [(m.span(), m.groupdict()) for m in _every_position(finder.pattern, text)]
    assert [(m.span(), m.groupdict()) for m in finder._matches(text)] == expected


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="0123456789,.万元千亿%年人 一十-", max_size=60))
def test_quantity_scan_skips_digit_runs_as_the_pattern_would(text):
    """A start inside a run of digits that the run's first digit could not begin is skipped; a comma
    after the run (12345,678万元) or a run longer than the pattern's 20 digits is tried digit by digit."""
    from extractors.quantities import get_finder
    finder = get_finder()
    for t in (text, "12345,678万元" + text, "1" * 25 + "万元" + text):
        assert [m.span() for m in finder._matches(t)] == [m.span() for m in _every_position(finder.pattern, t)]
