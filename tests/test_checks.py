"""Each rule with passing and failing cases, and rounding at the edge of tolerance."""
from decimal import Decimal

import pytest

from extractors import extract
from extractors.checks import half_ulp


# The cases are sentences of a 部门决算: without a document type a figure's phase would be a guess,
# and a finding over it at most a warning (test_uncertain_readings_are_at_most_warnings).
HEAD = "部门决算情况说明\n"


def findings(text, rule):
    return [f for f in extract(HEAD + text).findings if f["rule"] == rule]


def rules_of(text, rule):
    return [f["severity"] for f in findings(text, rule)]


@pytest.mark.parametrize("text,scale,expected", [
    ("185.88万元", Decimal(10000), Decimal(50)), ("195.8万元", Decimal(10000), Decimal(500)),
    ("270万元", Decimal(10000), Decimal(5000)), ("3,541.07元", Decimal(1), Decimal("0.005")),
    ("18.8%", Decimal(1), Decimal("0.05")),
])
def test_half_ulp_is_half_the_last_stated_digit(text, scale, expected):
    assert half_ulp(text, scale) == expected


# ---- change_rate_mismatch: rate vs change / (current − change)
@pytest.mark.parametrize("total,change,rate,severities", [
    ("270", "45.25", "18.8", ["error"]),     # 45.25/224.75 = 20.13%
    ("270", "45.25", "20.13", []),
    ("270", "45.25", "20.1", []),            # one decimal: within half a digit
    ("17.8", "4.83", "37.24", []),
    ("17.8", "4.83", "37.3", []),            # the rounding of 17.8 and 4.83 reaches 37.3
    ("17.8", "4.83", "38", ["error"]),     # 37.24% is neither rounded nor truncated to 38%
    ("17.8", "4.83", "37", []),            # truncated
    ("17.8", "4.83", "36", ["error"]),
])
def test_change_rate_mismatch(total, change, rate, severities):
    text = f"2021年度收、支总计{total}万元。与2020年相比，收、支总计各增加{change}万元，上升{rate}%。"
    assert rules_of(text, "change_rate_mismatch") == severities


def test_change_rate_mismatch_reports_expected_and_actual_with_evidence():
    f = findings("2021年度收、支总计270万元。与2020年相比，收、支总计各增加45.25万元，上升18.8%。", "change_rate_mismatch")[0]
    assert f["expected"] == "0.2013" and f["actual"] == "0.188"
    assert {e["text"] for e in f["evidence"]} >= {"收、支总计270万元"}
    assert "20.13%" in f["message"] and "18.80%" in f["message"]


# ---- sum_mismatch: parts against their total
SUMS = [
    # (text, severities)  basic + project = total
    ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出84.12万元。", []),
    ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出84.1万元。", []),   # 84.1 ± 0.05
    ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。", ["error"]),  # over the total
    ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出74.12万元。", ["warning"]),  # under: a part may be missing
    # personnel + public = basic (exhaustive: under is an error too)
    ("2021年基本支出185.88万元，其中：人员经费168.08万元，日常公用经费17.8万元。", []),
    ("2021年基本支出185.88万元，其中：人员经费168.08万元，日常公用经费7.8万元。", ["error"]),
    ("2021年基本支出185.9万元，其中：人员经费168.08万元，日常公用经费17.8万元。", []),     # 0.02 within 0.05+0.005+0.05
    ("2021年基本支出185.88万元，其中：人员经费168.08万元，日常公用经费17.75万元。", ["error"]),  # 0.05 beyond 0.015
    ("2021年基本支出185.88万元，其中：人员经费168.08万元，日常公用经费17.7万元。", ["error"]),  # gap 0.1 beyond 0.06
    # three-public parts, with the vehicle halves standing in for the vehicle figure
    ("2023年“三公”经费支出4.36万元，其中：因公出国（境）费0万元；公务用车运行维护费3.18万元；公务接待费1.18万元。", []),
    ("2023年“三公”经费支出4.36万元，其中：因公出国（境）费0万元；公务用车购置及运行维护费3.18万元；公务接待费1.28万元。", ["error"]),
    ("2023年公务用车购置及运行维护费3.18万元，其中：公务用车购置费1万元，公务用车运行维护费2.18万元。", []),
    ("2023年公务用车购置及运行维护费3.18万元，其中：公务用车购置费1.00万元，公务用车运行维护费2.28万元。", ["error"]),
    ("2023年公务用车购置及运行维护费3.18万元，其中：公务用车购置费1万元，公务用车运行维护费2.28万元。", []),  # 1万元 ± 0.5
    # procurement
    ("2023年政府采购支出总额3.6万元，其中：政府采购货物支出1.6万元，政府采购服务支出2万元。", []),
    ("2023年政府采购支出总额3.6万元，其中：政府采购货物支出1.6万元，政府采购服务支出2.5万元。", ["error"]),
    # revenue sources
    ("2021年本年收入合计227.48万元，其中：一般公共预算财政拨款收入227.48万元；其他收入0万元。", []),
    ("2021年本年收入合计227.48万元，其中：一般公共预算财政拨款收入217.48万元；其他收入20万元。", ["error"]),
]


@pytest.mark.parametrize("text,severities", SUMS)
def test_sum_mismatch(text, severities):
    assert rules_of(text, "sum_mismatch") == severities


def test_conflicting_values_pass_a_sum_when_one_reading_balances():
    text = ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出84.12万元。\n"
            "附件：2021年基本支出270万元。")
    assert rules_of(text, "sum_mismatch") == []
    assert rules_of(text, "conflicting_values") == ["error"]


LINE_ITEMS = ("2021年一般公共预算财政拨款支出{total}万元，主要用于：一般公共服务（类）支出{a}万元，占{pa}%；"
              "社会保障和就业（类）支出{b}万元，占{pb}%。\n"
              "1、一般公共服务（类）群众团体事务（款）行政运行（项）：2021年决算数为{i1}万元。\n"
              "2、一般公共服务（类）群众团体事务（款）事业运行（项）：2021年决算数为{i2}万元。\n")


@pytest.mark.parametrize("values,sums,shares", [
    (dict(total="100", a="60", pa="60", b="40", pb="40", i1="30", i2="30"), [], []),
    (dict(total="100", a="60", pa="60", b="40", pb="40", i1="30.01", i2="30"), [], []),          # 60 ± 0.5
    (dict(total="100", a="60", pa="60", b="50", pb="50", i1="30", i2="30"), ["error"], []),      # 110 ≠ 100
    (dict(total="100", a="60", pa="60", b="40", pb="40", i1="40", i2="30"), ["error"], []),      # items 70 > class 60
    (dict(total="100", a="60", pa="60", b="40", pb="45", i1="30", i2="30"), [], ["error"]),      # 40/100 ≠ 45%
    (dict(total="100", a="60", pa="60", b="40", pb="40.4", i1="30", i2="30"), [], []),           # 40 ± 0.5 of 100 ± 0.5
    (dict(total="100.00", a="60.00", pa="60", b="40.00", pb="40.4", i1="30.00", i2="30.00"), [], ["error"]),
    (dict(total="100.00", a="60.00", pa="60", b="40.00", pb="40.01", i1="30.00", i2="30.00"), [], []),  # edge
])
def test_line_item_sums_and_shares(values, sums, shares):
    text = LINE_ITEMS.format(**values)
    assert rules_of(text, "sum_mismatch") == sums
    assert rules_of(text, "share_mismatch") == shares


@pytest.mark.parametrize("text,severities", [
    ("2021年本年收入合计227.48万元，其中：一般公共预算财政拨款收入227.48万元，占100%。", []),
    ("2021年本年收入合计227.48万元，其中：一般公共预算财政拨款收入200万元，占100%。", ["error"]),
    ("2021年本年支出合计270万元，其中：基本支出185.88万元，占68.84%；项目支出84.12万元，占31.16%。", []),
    ("2021年本年支出合计270万元，其中：基本支出185.88万元，占68.85%；项目支出84.12万元，占31.16%。", []),  # edge
    ("2021年本年支出合计270万元，其中：基本支出185.88万元，占69.84%；项目支出84.12万元，占31.16%。", ["error"]),
    # 15844.04/24169.74 = 65.554%: stated 65.56% so that the list sums to 100% (one digit off)
    ("2019年本年支出预算合计24,169.74万元，其中：基本支出15,844.04万元，占65.56%；项目支出4335.3万元，占17.94%；", []),
    # 65.57% is beyond rounding but less than 0.1 percentage point off: a warning (checks.yaml minor_discrepancy)
    ("2019年本年支出预算合计24,169.74万元，其中：基本支出15,844.04万元，占65.57%；项目支出4335.3万元，占17.94%；", ["warning"]),
    ("2019年本年支出预算合计24,169.74万元，其中：基本支出15,844.04万元，占65.87%；项目支出4335.3万元，占17.94%；", ["error"]),
    # the list's own total is the base, even when it is not a concept (财政拨款收入)
    ("2021年财政拨款收入270万元其中：一般公共预算财政拨款收入270万元，占100%。", []),
    # the base a share names
    ("2019年三公经费支出419万元。因公出国（境）费支出80万元，占“三公”经费的19.1%；", []),
    ("2019年三公经费支出419万元。因公出国（境）费支出80万元，占“三公”经费的29.1%；", ["error"]),
])
def test_share_mismatch(text, severities):
    assert rules_of(text, "share_mismatch") == severities


@pytest.mark.parametrize("text,severities", [
    ("2021年三公经费年初预算数为5万元。2021年三公经费决算数为4.36万元，完成预算87.2%。", []),
    ("2021年三公经费年初预算数为5万元。2021年三公经费决算数为4.36万元，完成预算97.2%。", ["error"]),
])
def test_completion_rate_mismatch(text, severities):
    assert rules_of(text, "completion_rate_mismatch") == severities


def _items(rates):
    names = ["行政运行", "一般行政管理事务", "机关服务", "事业运行", "其他群众团体事务支出"]
    return "\n".join(f"{i + 1}、一般公共服务（类）群众团体事务（款）{n}（项）：2021年决算数为{i + 1}万元，完成预算{r}%。"
                     for i, (n, r) in enumerate(zip(names, rates)))


@pytest.mark.parametrize("rates,flagged", [
    (["1.76", "141.21", "100", "108.41", "98"], ["1.76"]),
    (["100", "141.21", "100", "108.41", "98"], []),
    (["600", "100", "99", "101", "98"], ["600"]),
    (["20", "100", "99", "101", "98"], []),                 # at the lower bound
    (["1.76", "5", "3"], []),                               # too few siblings to judge
])
def test_implausible_completion_rate(rates, flagged):
    got = [f["actual"] for f in findings(_items(rates), "implausible_completion_rate")]
    assert got == [str(Decimal(r) / 100).rstrip("0").rstrip(".") if "." in str(Decimal(r) / 100) else str(Decimal(r) / 100)
                   for r in flagged]


def test_conflicting_values_across_the_document():
    found = findings("2021年本年收入合计227.48万元。\n附件：2021年本年收入合计270万元。", "conflicting_values")
    assert len(found) == 1 and {found[0]["expected"], found[0]["actual"]} == {"2274800", "2700000"}
    assert len(found[0]["evidence"]) == 2


@pytest.mark.parametrize("text,n", [
    ("2021年本年收入合计270万元。2021年本年收入合计270万元。", 0),
    ("核定编制8人。附件：核定编制4人。", 1),
    ("2021年本年收入合计270万元。2020年本年收入合计250万元。", 0),     # different years
])
def test_conflicting_values(text, n):
    assert len(findings(text, "conflicting_values")) == n


def test_duplicate_line_item_in_one_list_but_not_across_tables():
    line = "住房保障（类）住房改革支出（款）住房公积金（项）：2021年决算数为13.08万元。\n"
    assert rules_of(line + line, "duplicate_line_item") == ["warning"]
    assert rules_of(line, "duplicate_line_item") == []
    two_tables = f"表一 收入支出决算总表\n{line}表二 一般公共预算财政拨款支出决算表\n{line}"
    assert rules_of(two_tables, "duplicate_line_item") == []


@pytest.mark.parametrize("text,severities", [
    ("2022年收支总计163.3万元。本年收入合计158.3万元，年初结转和结余5万元。本年支出合计156.3万元，年末结转和结余7万元。", []),
    ("2022年收支总计163.3万元。本年收入合计158.3万元，年初结转和结余6万元。本年支出合计156.3万元，年末结转和结余7万元。", ["error"]),
    ("2022年收支总计163.3万元。本年收入合计158.3万元。本年支出合计163.3万元。", ["info"]),   # implied 5万元 carry-over
    ("2022年收支总计163.3万元。本年收入合计170万元。本年支出合计163.3万元。", ["error"]),    # flow above the total
])
def test_balance_mismatch(text, severities):
    assert rules_of(text, "balance_mismatch") == severities


def test_code_name_mismatch_from_a_table_row():
    text = "单位：万元\n| 科目编码 | 科目名称 | 合计 |\n| 2101101 | 事业单位医疗 | 9.80 |\n| 2101102 | 事业单位医疗 | 3.00 |\n"
    found = findings(text, "code_name_mismatch")
    assert [(f["expected"], f["actual"]) for f in found] == [("行政单位医疗", "事业单位医疗")]


def test_every_finding_has_a_message_expected_actual_and_evidence():
    text = open("corpus/yanbian-union-2021-final-accounts.txt", encoding="utf-8").read()
    for f in extract(text).findings:
        assert f["severity"] in ("error", "warning", "info") and f["message"]
        assert "expected" in f and "actual" in f
        for ev in f["evidence"]:
            assert text[ev["start"]:ev["end"]] == ev["text"]


def test_sample_has_no_false_error_for_rounding():
    text = open("corpus/yanbian-union-2021-final-accounts.txt", encoding="utf-8").read()
    errors = sorted(f["rule"] for f in extract(text).findings if f["severity"] == "error")
    assert errors == ["change_rate_mismatch", "conflicting_values", "conflicting_values", "conflicting_values"]


TABLES = ("表一 收入支出决算总表\n单位：万元\n| 项目 | 决算数 |\n| 本年收入合计 | {t1} |\n\n"
          "表二 收入决算表\n单位：万元\n| 项目 | 本年收入合计 |\n| 合计 | {t2} |\n\n"
          "一、收入决算情况说明\n2022年本年收入合计{prose}万元。\n")


@pytest.mark.parametrize("t1,t2,prose,rules", [
    ("227.48", "227.48", "227.48", []),
    ("227.48", "227.48", "270", ["text_table_mismatch"]),
    ("227.48", "270.00", "227.48", ["cross_table_mismatch"]),
])
def test_prose_against_tables_and_tables_against_each_other(t1, t2, prose, rules):
    found = [f for f in extract(TABLES.format(t1=t1, t2=t2, prose=prose)).findings
             if f["rule"] in ("conflicting_values", "text_table_mismatch", "cross_table_mismatch")]
    assert [f["rule"] for f in found] == rules
    for f in found:
        assert any("table" in ev for ev in f["evidence"])


# ---- no false certainty: a finding over a figure whose reading is in doubt is at most a warning
@pytest.mark.parametrize("text,doubt", [
    # no document type and no 预算/决算 word beside the figures: budget or spending is unknown
    ("2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。", "是预算数还是决算数无法确定"),
    # a 决算 whose figures no sentence dates, in a document without a year
    ("部门决算情况说明\n本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。", "的年度文中未写明"),
])
def test_uncertain_readings_are_at_most_warnings(text, doubt):
    found = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert [f["severity"] for f in found] == ["warning"]
    assert doubt in found[0]["message"] and any(doubt in d for d in found[0]["uncertain"])
    assert "None" not in found[0]["message"]
    assert extract(HEAD + "2021年" + text.split("\n")[-1]).findings[0]["severity"] == "error"   # certain: an error


def test_a_message_never_prints_an_unknown_year_as_none():
    text = "部门决算情况说明\n“三公”经费支出9万元，其中：公务接待费3万元，公务用车运行维护费2万元；\n附件：“三公”经费支出8万元。"
    messages = [f["message"] for f in extract(text).findings]
    assert messages and all("None" not in m for m in messages)
    assert any("年度不明的" in m for m in messages)


def test_a_change_rate_needs_no_year_or_phase_to_be_certain():
    text = "收、支总计270万元。与上年相比，收、支总计增加45.25万元，上升18.8%。"
    assert rules_of(text, "change_rate_mismatch") == ["error"]
    assert [f["severity"] for f in extract(text).findings if f["rule"] == "change_rate_mismatch"] == ["error"]
