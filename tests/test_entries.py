"""A 情况说明 entry of one line item (“…（项）”45.41万元，主要用于…。2022年当年预算执行数为11.67万元，
2023年预算安排45.41万元，比2022年预算执行数增加314.82%。主要原因是：…经费增加。) read as a whole, and
the checks that follow from it: the rate against the stated base, the heading against its
restatement, an increase larger than the figure, a reason of the other direction, a table whose
note says it is empty. Table-driven, in the wordings of real 部门预算 (Shanghai, Jiangsu)."""
from __future__ import annotations

import pytest

from extractors import extract

HEAD = "2023年部门预算\n财政拨款支出主要内容如下：\n"
LINE = "“一般公共服务支出（类）群众团体事务（款）一般行政管理事务（项）”"


def _entry(heading: str, base: str, restated: str, verb: str, rate: str, reason: str = "经费增加") -> str:
    return (f"{HEAD}1. {LINE}{heading}万元，主要用于群众团体事务。2022年当年预算执行数为{base}万元，"
            f"2023年预算安排{restated}万元，比2022年预算执行数{verb}{rate}%。主要原因是：群众团体事务{reason}。\n"
            f"2. “一般公共服务支出（类）统计信息事务（款）统计管理（项）”2.63万元，主要用于统计管理。\n")


def _rules(text: str) -> list[str]:
    return [f["rule"] for f in extract(text, "entry.txt").to_dict()["findings"] if f["severity"] != "info"
            and f["rule"] != "missing_required_item"]


@pytest.mark.parametrize("heading, base, restated, verb, rate, reason, found", [
    ("45.41", "11.67", "45.41", "增加", "289.12", "经费增加", []),                     # all agree
    ("45.41", "11.67", "45.41", "增加", "314.82", "经费增加", ["change_rate_mismatch"]),  # (45.41−11.67)/11.67 = 289.12%
    ("220.63", "132.59", "441.25", "增加", "66.40", "经费增加", ["conflicting_values"]),  # another line's figure copied
    ("220.63", "132.59", "441.25", "增加", "60.54", "经费增加", ["change_rate_mismatch", "conflicting_values"]),
    ("110.60", "114.00", "110.60", "减少", "2.98", "经费增加", ["wording_mismatch"]),     # 减少 explained by 增加
    ("110.60", "114.00", "110.60", "减少", "2.98", "经费减少", []),
    ("110.60", "114.00", "110.60", "减少", "2.98", "人员增加，但经费减少", []),           # two sides: no finding
])
def test_an_entry_is_checked_as_a_whole(heading, base, restated, verb, rate, reason, found):
    assert sorted(_rules(_entry(heading, base, restated, verb, rate, reason))) == found


def test_an_entry_gives_the_line_its_change_and_the_base_year():
    result = extract(_entry("45.41", "11.67", "45.41", "增加", "289.12"), "entry.txt").to_dict()
    rows = [(it["amount"], it["fiscal_year"], it["phase"]) for it in result["line_items"] if it["item"] == "一般行政管理事务"]
    assert sorted(rows) == [("116700", 2022, "executed"), ("454100", 2023, "budgeted")]
    head = next(it for it in result["line_items"] if it["amount"] == "454100")
    assert head["change"]["rate"] == "2.8912" and head["change"]["compared_phase"] == "executed"


@pytest.mark.parametrize("sentence, found", [
    ("政府性基金拨款支出预算0万元，比2022年预算增加1421.25万元。", True),
    ("政府性基金拨款支出预算100万元，比2022年预算增加20万元。", False),
    ("政府性基金拨款支出预算0万元，比2022年预算减少20万元。", False),
])
def test_an_increase_larger_than_the_figure(sentence, found):
    assert ("impossible_change" in _rules(f"{HEAD}{sentence}\n")) is found


_TABLE = ("部门“三公”经费和机关运行经费预算表\n单位:万元\n"
          "| 2023年“三公”经费预算数 |  |  |  |  |  | 2023年机关运行经费预算数 |\n"
          "| 合计 | 因公出国(境)费 | 公务接待费 | 公务用车购置及运行费 |  |  |  |\n"
          "|  |  |  | 小计 | 购置费 | 运行费 |  |\n"
          "| {total} | 0 | {reception} | {vehicle} | 0 | {vehicle} | {operating} |\n"
          "注:本部门2023年无“三公”经费和机关运行经费预算，故本表为空表。\n")


@pytest.mark.parametrize("total, reception, vehicle, operating, found", [
    ("47.91", "1.35", "46.56", "443.18", True),
    ("0", "0", "0", "0", False),
])
def test_a_note_that_calls_a_filled_table_empty(total, reception, vehicle, operating, found):
    text = HEAD + _TABLE.format(total=total, reception=reception, vehicle=vehicle, operating=operating)
    findings = extract(text, "note.txt").to_dict()["findings"]
    notes = [f for f in findings if "空表" in f["message"]]
    assert bool(notes) is found
    if found:
        assert notes[0]["rule"] == "text_table_mismatch" and "443.18万元" in notes[0]["message"]
        assert not [f for f in findings if f["rule"] == "text_table_mismatch" and f not in notes]


@pytest.mark.parametrize("year, printed, kind", [
    (2018, "行政事业单位离退休", "行政事业单位离退休"),     # that year's name of 20805, kept
    (2023, "行政事业单位养老支出", "行政事业单位养老支出"),
])
def test_a_line_keeps_its_years_official_name(year, printed, kind):
    text = (f"{year}年部门预算\n财政拨款支出主要内容如下：\n1. “社会保障和就业支出（类）{printed}（款）"
            f"机关事业单位基本养老保险缴费支出（项）”441.25万元，主要用于养老保险缴费。\n")
    items = extract(text, "names.txt").to_dict()["line_items"]
    assert [(it["kind"], it["function_code"]) for it in items if it["level"] == "item"] == [(kind, "2080505")]


_SPLIT = ("2023年部门支出预算总表\n单位：元\n"
          "| 功能分类科目编码 |  |  | 功能分类科目名称 | 合计 | 基本支出 | 项目支出 |{extra_head}\n"
          "| 类 | 款 | 项 |  |  |  |  |{extra_blank}\n"
          "| 201 |  |  | 一般公共服务支出 | {total} | 2,932,700 | 1,000,000 |{extra}\n"
          "| 201 | 29 |  | 群众团体事务 | 3,932,700 | 2,932,700 | 1,000,000 |{extra}\n")


@pytest.mark.parametrize("total, extra, found", [
    ("3,932,700", None, False),
    ("3,932,800", None, True),                  # 合计 ≠ 基本支出 + 项目支出
    ("3,932,800", "100", False),                # another part (对附属单位补助支出): a formula of more parts
])
def test_a_rows_total_against_its_split(total, extra, found):
    cells = {"extra_head": " 对附属单位补助支出 |", "extra_blank": "  |", "extra": f" {extra} |"} if extra else \
        {"extra_head": "", "extra_blank": "", "extra": ""}
    findings = extract(_SPLIT.format(total=total, **cells), "split.txt").to_dict()["findings"]
    rows = [f for f in findings if f.get("check") == "row_formula"]
    assert bool(rows) is found
    if found:
        assert rows[0]["expected"] == "3932700" and rows[0]["actual"] == "3932800"
