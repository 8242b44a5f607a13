"""The table reader on the layouts real disclosures use (each case from a published PDF's table)."""
import pytest

from extractors import extract


def items(text):
    return [(i["function_code"], i["item"] or i["kind"] or i["class"], i["amount"]) for i in extract(text).line_items]


def facts(text):
    return {(f["concept"], f["value"], f["phase"]) for f in extract(text).facts}


def test_split_code_columns_under_a_header_merged_down():
    # 上海市财政局 2025: 类 | 款 | 项 sub-columns under 功能分类科目编码; 名称 merged down from above
    text = ("一般公共预算支出功能分类预算表\n单位：元\n"
            "| 项目 | | | | 一般公共预算支出 | | |\n"
            "| 功能分类科目编码 | | | 功能分类科目名称 | 合计 | 基本支出 | 项目支出 |\n"
            "| 类 | 款 | 项 | | | | |\n"
            "| 201 | | | 一般公共服务支出 | 127,886,849 | 84,861,719 | 43,025,130 |\n"
            "| 201 | 06 | | 财政事务 | 127,886,849 | 84,861,719 | 43,025,130 |\n"
            "| 201 | 06 | 01 | 行政运行 | 84,861,719 | 84,861,719 | |\n"
            "| | | 02 | 一般行政管理事务 | 43,025,130 | | 43,025,130 |\n")
    assert items(text) == [("201", "一般公共服务支出", "127886849"), ("20106", "财政事务", "127886849"),
                           ("2010601", "行政运行", "84861719"), ("2010602", "一般行政管理事务", "43025130")]


def test_code_cells_a_column_off_their_merged_header():
    # 江苏省人民检察院 2019: the header's 功能科目代码 sits one column right of the codes
    text = ("一般公共预算支出预算表（功能科目）\n"
            "| | 部门：江苏省人民检察院 | | | | 单位：万元 |\n"
            "| | | 功能科目代码 | 功能科目名称 | 金额 | |\n"
            "| | 合 计 | | | 24,169.74 | |\n"
            "| | 204 | | 公共安全支出 | 16,593.12 | |\n"
            "| | 2040401 | | 行政运行 | 12,268.62 | |\n")
    got = items(text)
    assert ("204", "公共安全支出", "165931200") in got and ("2040401", "行政运行", "122686200") in got
    assert ("appropriation.general_budget_expenditure", "241697400", "budgeted") in facts(text)   # a 预算 table


def test_a_table_speaks_only_of_its_own_concepts():
    # 江苏省高级人民法院 2017: 30217 公务接待费 in the 基本支出 table is not the 三公 figure
    text = ("一般公共预算基本支出预算表\n单位：万元\n| 科目编码 | 科目名称 | 金额 |\n"
            "| 302 | 商品和服务支出 | 3,528.37 |\n| 30217 | 公务接待费 | 50.72 |\n| 合计 | | 17,123.19 |\n")
    got = facts(text)
    assert not any(c.startswith("three_public") for c, _, _ in got)
    assert ("appropriation.general_budget_basic", "171231900", "budgeted") in got


def test_a_continuation_without_caption_keeps_the_previous_tables_type():
    text = ("一般公共预算基本支出预算表\n单位：万元\n| 科目编码 | 科目名称 | 金额 |\n| 302 | 商品和服务支出 | 3,528.37 |\n"
            "30206 电费 235.00\n"
            "| 30217 | 公务接待费 | 50.72 |\n| 30231 | 公务用车运行维护费 | 304.40 |\n")
    assert not any(c.startswith("three_public") for c, _, _ in facts(text))


def test_a_label_takes_values_only_from_its_own_block():
    # 江苏省人民检察院 2019 收支总表: 三、国防支出 is blank; 3,990.40 belongs to the third block
    text = ("收支预算总表\n单位：万元\n"
            "| 项目 | 预算数 | 项目 | 预算数 | 项目 | 预算数 |\n"
            "| 一、一般公共预算收入 | 24,169.74 | 一、公共安全支出 | 16,593.12 | 一、基本支出 | 15,844.04 |\n"
            "| | | 三、国防支出 | | | 3,990.40 |\n")
    assert ("203", "国防支出", "39904000") not in items(text)
    assert ("204", "公共安全支出", "165931200") in items(text)


@pytest.mark.parametrize("rows,expected", [
    # the 三公 table laid out across: the rows are 预算数 and 决算数
    ("| 项目 | 合计 | 因公出国（境）费 | 公务接待费 |\n| 预算数 | 8.00 | 3.00 | 5.00 |\n| 决算数 | 6.00 | 2.00 | 4.00 |\n",
     {("three_public.total", "80000", "budgeted"), ("three_public.total", "60000", "executed"),
      ("three_public.outbound_travel", "20000", "executed"), ("three_public.reception", "50000", "budgeted")}),
    # and down: 预算数 | 决算数 columns
    ("| 项目 | 预算数 | 决算数 |\n| 合计 | 8.00 | 6.00 |\n| 公务接待费 | 5.00 | 4.00 |\n",
     {("three_public.total", "80000", "budgeted"), ("three_public.total", "60000", "executed"),
      ("three_public.reception", "50000", "budgeted"), ("three_public.reception", "40000", "executed")}),
])
def test_three_public_table_both_ways(rows, expected):
    assert expected <= facts("“三公”经费支出决算表\n单位：万元\n" + rows)


def test_prose_line_merges_with_its_coded_table_row():
    text = ("一般公共预算支出表\n单位：万元\n| 科目编码 | 科目名称 | 金额 |\n| 204 | 公共安全支出 | 100.00 |\n"
            "| 20404 | 检察 | 100.00 |\n| 2040410 | 检察监督 | 100.00 |\n"
            "说明：检察（款）检察监督（项）支出100.00万元。\n")
    got = items(text)
    assert got.count(("2040410", "检察监督", "1000000")) == 1 and not [i for i in got if i[0] is None]


def test_a_completion_rate_column():
    text = ("一般公共预算财政拨款支出决算表\n单位：万元\n| 科目编码 | 科目名称 | 年初预算数 | 决算数 | 完成率(%) |\n"
            "| 2101101 | 行政单位医疗 | 10.00 | 9.50 | 95.00 |\n")
    result = extract(text)
    by_phase = {i["phase"]: i for i in result.line_items}
    assert by_phase["budgeted"]["amount"] == "100000" and by_phase["executed"]["amount"] == "95000"
    assert by_phase["executed"]["budget_completion_rate"] == "0.95"
