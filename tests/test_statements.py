"""Standard statements (lexicons/statements.yaml): each table matched to its statement, each
figure with the statement, scope and basis it was read under (CONTRACT v1.1), and the checks
kept to figures of one scope. Cases are written in the shapes real 部门预算/决算 tables take."""
from __future__ import annotations

import pytest

from extractors import checks, extract
from extractors.decode.pdf import _own_caption
from extractors.table_reader import NCell, _aligned, _printed_name, scope_of

TWO_SCOPES = """某县某局2021年部门决算
公开05表
一般公共预算财政拨款支出决算表
单位：万元
| 功能科目编码 | 功能科目名称 | 决算数 |
| 201 | 一般公共服务支出 | 100.00 |
| 20101 | 人大事务 | 100.00 |
| 2010101 | 行政运行 | 60.00 |
| 2010102 | 一般行政管理事务 | {item} |

公开03表
支出决算表
单位：万元
| 功能科目编码 | 功能科目名称 | 决算数 |
| 201 | 一般公共服务支出 | 130.00 |
| 20101 | 人大事务 | 130.00 |
| 2010101 | 行政运行 | 60.00 |
| 2010102 | 一般行政管理事务 | 70.00 |
"""


@pytest.mark.parametrize("caption, scope", [
    ("收入支出决算总表", "all_funds"),
    ("2025年部门支出预算总表", "all_funds"),
    ("收入预算总表部门：某某局 单位：万元", "all_funds"),
    ("财政拨款收支预算总表", "fiscal_appropriation"),
    ("财政拨款支出预算表（功能科目）", "fiscal_appropriation"),
    ("一般公共预算财政拨款支出决算表", "general_budget"),
    ("2025年部门一般公共预算支出功能分类预算表", "general_budget"),
    ("政府性基金预算财政拨款收入支出决算表", "government_fund"),
    ("国有资本经营预算财政拨款支出决算表", "state_capital"),
    ("“三公”经费、会议费、培训费支出预算表", "fiscal_appropriation"),
    ("（一）一般公共服务支出（类）", None),     # 一般公共服务 is a class, not 一般公共预算
    ("（二）社会保障和就业支出（类）", None),   # a class heading names no money
    ("五、财政拨款支出预算情况说明", "fiscal_appropriation"),
    ("三、支出预算情况说明", "all_funds"),
])
def test_scope_of_a_caption(caption, scope):
    assert scope_of(caption) == scope


@pytest.mark.parametrize("caption, name", [
    ("公开05表 一般公共预算财政拨款支出决算表", "一般公共预算财政拨款支出决算表"),
    ("某县2021年部门决算公开05表一般公共预算财政拨款支出决算表", "一般公共预算财政拨款支出决算表"),
    ("收支预算总表部门：江苏省某某厅 单位：万元", "收支预算总表"),
    ("2025年部门支出预算总表", "2025年部门支出预算总表"),
    ("支出决算表 公开03表", "支出决算表"),
])
def test_printed_name_of_a_statement(caption, name):
    assert _printed_name(caption) == name


def test_one_line_in_two_scopes_is_two_lines_and_no_finding():
    r = extract(TWO_SCOPES.format(item="40.00"))
    items = {(i["item"], i["scope"]): i for i in r.line_items if i["level"] == "item"}
    assert items[("一般行政管理事务", "general_budget")]["amount"] == "400000"
    assert items[("一般行政管理事务", "all_funds")]["amount"] == "700000"
    # a line of equal amount in both tables is still two lines, one per scope
    assert {s for (name, s) in items if name == "行政运行"} == {"general_budget", "all_funds"}
    general = items[("行政运行", "general_budget")]["statement"]
    assert general == {"id": "final.general_budget_expenditure", "name": "一般公共预算财政拨款支出决算表",
                       "label": "公开05表"}
    assert not [f for f in r.findings if f["rule"] in ("sum_mismatch", "duplicate_line_item")]


def test_items_that_do_not_add_up_within_one_statement_are_found():
    r = extract(TWO_SCOPES.format(item="30.00"))
    sums = [f for f in r.findings if f["rule"] == "sum_mismatch"]
    assert len(sums) == 1 and "人大事务" in sums[0]["message"]
    assert all(e.get("table") == 0 for e in sums[0]["evidence"])


def test_a_three_public_table_with_meetings_and_training_has_its_subtotal_as_the_total():
    text = ("公开09表“三公”经费、会议费、培训费支出预算表\n单位：万元\n"
            "| 合计 | “三公”经费小计 | 因公出国（境）费 | 公务接待费 | 会议费 | 培训费 |\n"
            "| 100.00 | 30.00 | 10.00 | 20.00 | 50.00 | 20.00 |\n")
    r = extract("某局2019年部门预算\n" + text)
    totals = {f["value"] for f in r.facts if f["concept"] == "three_public.total"}
    assert totals == {"300000"}
    assert not [f for f in r.findings if f["severity"] == "error"]


def test_a_subtotal_row_under_a_grand_total_is_its_groups_not_the_tables():
    text = ("某局2019年部门预算\n公开02表\n收入预算总表\n单位：万元\n"
            "| 项目名称 |  | 金额 |\n"
            "| 收入总计 |  | 100.00 |\n"
            "| 一般公共预算资金 | 小计 | 90.00 |\n"
            "|  | 公共财政拨款(补助)资金 | 90.00 |\n"
            "| 其他资金 | 小计 | 10.00 |\n")
    r = extract(text)
    assert {f["value"] for f in r.facts if f["concept"] == "revenue_total"} == {"1000000"}
    assert not [f for f in r.findings if f["rule"].endswith("mismatch")]


def test_values_one_column_off_their_merged_headers_are_read_under_them():
    text = ("某局2019年部门预算\n公开03表\n支出预算总表\n单位：万元\n"
            "|  | 合计 |  |  | 基本支出 |  |  | 项目支出 |  |\n"
            "| 300.00 |  |  | 200.00 |  |  | 100.00 |  |  |\n")
    r = extract(text)
    got = {f["concept"]: f["value"] for f in r.facts}
    assert got["expenditure_total"] == "3000000"
    assert got["expenditure.basic"] == "2000000"
    assert got["expenditure.project"] == "1000000"
    basis = {f["concept"]: f["basis"] for f in r.facts}
    assert basis["expenditure.basic"] == "basic" and basis["expenditure_total"] == "total"


def _cells(texts):
    return [NCell(t, 0, 0, i) for i, t in enumerate(texts)]


@pytest.mark.parametrize("row, header_cols, cols", [
    (["300.00", "", "", "200.00"], {1, 4}, [1, 4]),           # one column left of its headers
    (["", "300.00", "", "", "200.00"], {0, 3}, [0, 3]),       # one column right
    (["", "300.00", "", "", "200.00"], {1, 4}, [1, 4]),       # under its headers: unchanged
    (["行政运行", "300.00"], {0, 2}, [0, 1]),                  # a labelled row is not moved
    (["300.00", "", "", "200.00"], {2, 5}, [0, 3]),           # two off: not a merged header's shift
])
def test_a_row_of_values_aligned_to_its_headers(row, header_cols, cols):
    got = _aligned(_cells(row), header_cols)
    assert [c.col for c in got if c.text] == cols


@pytest.mark.parametrize("rows, own", [
    ([["财政拨款支出预算表（功能科目）\n部门：某厅 单位：万元", None, None], ["科目编码", "科目名称", "金额"]], True),
    ([[None, "", None], ["一般公共预算支出预算表\n部门：某厅", None, None]], True),
    ([["2010101", "行政运行", "60.00"]], False),                  # the page before's rows going on
    ([["科目编码", "科目名称", "金额"]], False),                   # a repeated header
])
def test_a_pdf_table_with_a_caption_of_its_own_is_not_stitched_to_the_page_before(rows, own):
    assert _own_caption(rows) is own


@pytest.mark.parametrize("scopes, one", [
    ([{"all_funds"}, {"all_funds"}, {"all_funds"}], True),
    ([{"fiscal_appropriation"}, {"all_funds"}, {"all_funds"}], False),
    ([{"fiscal_appropriation", "all_funds"}, {"all_funds"}], True),     # stated in tables of both
    ([{None}, {"all_funds"}, {"general_budget"}], False),
    ([{None}, {"general_budget"}], True),                                # prose goes with any
])
def test_sums_take_figures_of_one_scope(scopes, one):
    assert checks.one_scope([{"_scopes": s} for s in scopes]) is one


@pytest.mark.parametrize("text, found", [
    ("2021年本年支出合计100万元，其中：基本支出60万元，项目支出30万元。", True),
    ("2021年本年支出合计100万元，其中：基本支出60万元，项目支出30万元，单位预留机动经费10万元。", False),
])
def test_a_part_the_concept_list_does_not_hold_makes_a_shortfall_no_finding(text, found):
    r = extract("某局2021年部门预算\n" + text)
    assert bool([f for f in r.findings if f.get("check") == "expenditure_parts"
                 or "基本支出 + 项目支出" in f["message"]]) is found
