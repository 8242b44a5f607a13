"""Checks of the text itself (extractors/audit.py, checks.yaml ``text_checks``) and the grading
of small discrepancies, table-driven in the wordings real disclosures use."""
from __future__ import annotations

import pytest

from extractors import checks, extract
from extractors.audit import text_findings


def _rules(text: str, year: int | None = 2021, headings=(), whole_file=False) -> list[str]:
    found = text_findings(text, year, list(headings), lambda s, e: {"start": s, "end": e, "text": text[s:e]},
                          whole_file=whole_file)
    for f in found:
        for e in f["evidence"]:
            assert text[e["start"]:e["end"]] == e["text"]
    return [f["rule"] for f in found]


@pytest.mark.parametrize("text, found", [
    ("单位名称：河北省XXX厅", True),
    ("其中：因公出国（境）费为XX万元，较上年减少0万元。", True),
    ("商品和服务支出预算75800元，占基本支出预算%，同比增加。", True),
    ("2019年政府性基金支出预算支出\n万元。与上年相比增加0万元。", True),      # a blank before a wrapped 万元
    ("因公出国（境）费0万元，占 %；", True),
    ("政府性基金支出预算支出 万元。", True),
    ("合计 | 为预算的% | 增幅% | 当月", False),                      # a table header, not a blank
    ("拟购买服务支出268 万 元、货物支出10万元", False),              # a text layer that spaces letters
    ("本年支出合计100万元，占100%。", False),
    ("单位：万元", False),
    ("支出\n1,234.56\n万元。支出预算\n万元。", False),              # numbers set on lines of their own
])
def test_placeholders(text, found):
    assert ("placeholder" in _rules(text)) is found


@pytest.mark.parametrize("second, cited", [
    ("因公出国（境）费为0万元，全年未安排因公出国（境）团组。", "因公出国（境）费为0万元"),
    ("因公出国（境）费为0万元；2018年因公出国（境）费为1.20万元。", None),     # two values: no guess
    ("公务接待费为8.00万元。", None),                                        # another concept
])
def test_a_blank_stated_elsewhere_cites_the_statement(second, cited):
    text = ("2019年部门决算情况说明\n2019年一般公共预算“三公”经费支出决算为20.00万元，较上年减少2.00万元。"
            "其中：因公出国（境）费为XX万元，公务接待费为8.00万元。\n" + second + "\n")
    blank = next(f for f in extract(text).findings if f["rule"] == "placeholder")
    assert "_blank" not in blank
    if cited is None:
        assert len(blank["evidence"]) == 1 and "另处" not in blank["message"]
    else:
        assert [e["text"] for e in blank["evidence"]][1:] == [cited]
        assert blank["message"].endswith(f"文中另处写作“{cited}”。")


@pytest.mark.parametrize("blank", [
    "上海市XX局2021年度部门决算，“三公”经费财政拨款支出",            # a name left blank, not an amount
    "“三公”经费财政拨款支出决算数小于预算数的主要原因：XXXXXXXX",     # a reason left blank
    "“三公”经费财政拨款支出决算数比2020年度减少（增加）XXX万元",      # the concept too far from the blank
])
def test_a_blank_that_is_not_the_concepts_amount_cites_nothing(blank):
    text = f"2021年部门决算情况说明\n{blank}。\n上海市某局2021年度无“三公”经费财政拨款支出。\n"
    found = [f for f in extract(text).findings if f["rule"] == "placeholder"]
    assert found and all(len(f["evidence"]) == 1 and "另处" not in f["message"] for f in found)


@pytest.mark.parametrize("text, found", [
    ("慰问县级劳模28人，计3.68万元；；上级帮扶资金49.74万元。", True),
    ("增长31.79%。。主要原因", True),
    ("主要用于：办公费、水费、电费等……", False),
    ("一、收入支出决算总表 ………… 5", False),
])
def test_repeated_punctuation(text, found):
    assert ("repeated_punctuation" in _rules(text)) is found


@pytest.mark.parametrize("headings, year, found", [
    ([("某局2021年部门决算", 0), ("第二部分 2020年度部门决算表", 10)], 2021, True),
    ([("某局2021年部门决算", 0), ("第二部分 2021年度部门决算表", 10)], 2021, False),
    ([("某局2021年部门决算", 0), ("二、2020年决算与2021年决算相比", 10)], 2021, False),   # a comparison
    ([("某局2021年部门预算", 0), ("三、2020年预算执行情况", 10)], 2021, False),           # the prior year's execution
    ([("一、2023年三公经费预算情况说明", 0), ("二、2023年转移支付预算情况说明", 10)], 2022, False),  # the year read is in doubt
])
def test_years_of_headings(headings, year, found):
    text = "\n".join(h for h, _ in headings)
    assert ("year_mismatch" in _rules(text, year, headings)) is found


@pytest.mark.parametrize("text, found", [
    ("纳入本部门2018年部门汇总预算编制范围的预算单位共计一家。", True),
    ("纳入本部门2019年部门汇总预算编制范围的预算单位共计一家。", False),
])
def test_year_in_a_set_phrase(text, found):
    assert ("year_mismatch" in _rules(text, 2019)) is found


CONTENTS = "目  录\n一、收支预算总表\n二、财政拨款支出预算表\n三、“三公”经费支出预算表\n四、政府采购预算表\n"


@pytest.mark.parametrize("body, whole_file, missing", [
    ("收支预算总表\n|a|\n财政拨款支出预算表\n|a|\n“三公”经费支出预算表\n|a|\n政府采购预算表\n|a|\n", True, 0),
    ("收支预算总表\n|a|\n财政拨款支出预算表\n|a|\n“三公”经费支出预算表\n|a|\n", True, 1),
    ("收支预算总表\n|a|\n财政拨款支出预算表\n|a|\n“三公”经费支出预算表\n|a|\n", False, 0),   # a web page's tables are attachments
    ("2019年度部门预算公开表附后。数应与《收支预算总表》收入数一致。\n", True, 0),     # the tables are a file of their own
    ("收支预算总表\n|a|\n财政拨款政府性基金支出预算表\n|a|\n财政拨款支出预算表（功能科目）\n|a|\n2019年“三公”经费支出预算表部门：某局\n|a|\n政府采购预算表\n", True, 0),
])
def test_statements_the_contents_list(body, whole_file, missing):
    assert _rules(CONTENTS + body, whole_file=whole_file).count("missing_statement") == missing


@pytest.mark.parametrize("text, found", [
    ("2019年“三公”经费预算660.10万元，大于2018年预算675.10万元。", True),
    ("2019年“三公”经费预算660.10万元，小于2018年预算675.10万元。", False),
    ("决算数5万元，等于年初预算数的6万元。", True),
    ("公务接待费0万元,与上年持平公务接待费预算数为310.37万元", False),    # the next sentence's figure
    ("本年支出100万元，大于上年80元。", False),                          # units differ: not compared
])
def test_comparison_words_against_their_figures(text, found):
    assert ("wording_mismatch" in _rules(text)) is found


@pytest.mark.parametrize("rule, expected, actual, severity", [
    ("change_rate_mismatch", "0.6668", "0.6669", "warning"),     # 0.01 percentage point
    ("change_rate_mismatch", "0.006", "0.0006", "error"),        # a decimal slip
    ("share_mismatch", "0.6374", "0.6375", "warning"),
    ("sum_mismatch", "1000000", "1000050", "warning"),           # 50 yuan: under 0.01万元
    ("sum_mismatch", "1000000", "1010000", "error"),
    ("duplicate_line_item", "1", "2", "warning"),
])
def test_small_discrepancies_are_warnings(rule, expected, actual, severity):
    finding = {"rule": rule, "severity": "error" if rule != "duplicate_line_item" else "warning",
               "message": "", "expected": expected, "actual": actual, "evidence": []}
    assert checks.grade_minor([finding])[0]["severity"] == severity


def test_text_findings_reach_the_result_with_offsets_into_the_original():
    text = "某局2021年部门决算\n一、收入支出决算总体情况说明\n本年收入合计XX万元。。\n"
    r = extract(text)
    got = {f["rule"] for f in r.findings}
    assert {"placeholder", "repeated_punctuation"} <= got
    for f in r.findings:
        for e in f["evidence"] or []:
            assert text[e["start"]:e["end"]] == e["text"]


def test_each_blank_of_a_line_is_a_finding_of_its_own():
    """A web page prints a paragraph as one line: each clause left blank is reported, once."""
    text = "其中：因公出国（境）费0万元，占 %；公务用车购置及运行维护费5万元，占 %；公务接待费30万元，占 %。"
    assert _rules(text).count("placeholder") == 3


def test_two_patterns_on_one_blank_are_one_finding():
    assert _rules("政府性基金支出预算支出 万元，占 %。").count("placeholder") == 2
