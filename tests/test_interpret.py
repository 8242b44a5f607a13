"""Facts come from the meaning of the clause, not from the order of the numbers."""
import pytest

from extractors import extract


def facts(text):
    return {(f["concept"], f["value"]): f for f in extract(text).facts}


def test_change_clause_is_not_a_new_total():
    r = facts("2021年度收、支总计270万元。与2020年相比，收、支总计各增加45.25万元，上升18.8%。主要变动原因是有年初结余项目资金在今年使用。")
    assert list(r) == [("total_revenue_expenditure", "2700000")]
    change = r[("total_revenue_expenditure", "2700000")]["change"]
    assert change["amount"] == "452500" and change["rate"] == "0.188"
    assert change["direction"] == "increase" and change["compared_year"] == 2020
    assert change["reason"] == "主要变动原因是有年初结余项目资金在今年使用。"


def test_unit_only_implied_comes_from_the_document():
    r = extract("2021年本年支出合计270万元。2021年一般公共预算支出决算数为270，完成预算219.85%。")
    f = [f for f in r.facts if f["concept"] == "appropriation.general_budget_expenditure"][0]
    assert f["value"] == "2700000" and f["unit_inferred"] is True
    assert f["budget_completion_rate"] == "2.1985"


def test_unit_only_implied_comes_from_a_table_header():
    r = facts("单位：元\n| 本年收入合计 | 1234.56 |")
    assert ("revenue_total", "1234.56") in r


@pytest.mark.parametrize("text,concept,value,share", [
    ("其中：基本支出185.88万元，占68.84%；", "expenditure.basic", "1858800", "0.6884"),
    ("一般公共预算财政拨款支出270万元，占本年支出合计的100%。", "appropriation.general_budget_expenditure", "2700000", "1"),
    ("因公出国（境）费支出80万元，占“三公”经费的19.1%；", "three_public.outbound_travel", "800000", "0.191"),
])
def test_shares(text, concept, value, share):
    assert facts(text)[(concept, value)]["share"] == share


def test_a_narrower_figure_is_not_the_department_total():
    r = facts("2021年项目支出84.12万元。2021年县级财政资金项目支出5.78万元。")
    assert list(r) == [("expenditure.project", "841200")]


def test_nil_statement_is_a_zero_figure():
    r = facts("本部门无政府采购支出。")
    assert ("procurement.total", "0") in r


def test_budget_documents_give_budgeted_figures_and_budget_comparisons():
    text = "某县财政局2023年部门预算\n2023年本年收入预算合计100万元，比2022年预算增加10万元，增长11.11%。"
    f = extract(text).facts[0]
    assert f["phase"] == "budgeted"
    assert f["change"]["compared_phase"] == "budgeted" and f["change"]["compared_year"] == 2022


def test_line_item_chain_with_codes_and_standard_names():
    r = extract("社会保障和就业（类）行政事业单位养老（款）机关事业单位基本养老保险（项）：2021年决算数为10.31万元，完成预算108.41%。")
    item = r.line_items[0]
    assert item["function_code"] == "2080505"
    assert item["kind"] == "行政事业单位养老支出" and item["item"] == "机关事业单位基本养老保险缴费支出"
    assert item["amount"] == "103100" and item["budget_completion_rate"] == "1.0841" and item["cofog"] == "10"


def test_a_level_marker_with_its_code_printed_in_it():
    r = extract("某单位2024年度单位决算\n1.社会保障和就业支出(208类)553.27万元:主要用于养老保险。\n"
                "2.卫生健康支出(210类)5.81万元:主要用于医疗。")
    assert [(i["level"], i["class"], i["amount"], i["function_code"]) for i in r.line_items] == [
        ("class", "社会保障和就业支出", "5532700", "208"), ("class", "卫生健康支出", "58100", "210")]


def test_a_numbered_entry_naming_a_kind_is_that_kind_s_line():
    r = extract("某区2022年财政总决算说明\n其中:\n1.人大事务1087万元,较上年增支204万元,增长23.1%;\n"
                "2.政协事务805万元,较上年增支187万元,增长30.3%;\n3.机关建设1000万元。")
    assert [(i["level"], i["class"], i["kind"], i["amount"], i["function_code"]) for i in r.line_items] == [
        ("kind", "一般公共服务支出", "人大事务", "10870000", "20101"),
        ("kind", "一般公共服务支出", "政协事务", "8050000", "20102")]
    assert r.line_items[0]["change"]["amount"] == "2040000"


def test_unknown_name_gets_a_null_code_not_a_guess():
    r = extract("其他支出（类）其他支出（款）其他支出（项）：2021年决算数为6万元。")
    assert r.line_items[0]["function_code"] is None


def test_indicators_bind_subject_and_measure():
    r = extract("全年开展生活救助74人次、发放资金7.4万元。")
    got = {(i["subject"], i["measure"], i["quantity"]["value"]) for i in r.indicators}
    assert ("生活救助", "beneficiaries", "74") in got
    assert ("生活救助", "funds", "74000") in got


def test_document_understanding():
    r = extract("高坪区文化广播电视和旅游局\n2021年度部门决算公开说明\n一、收入支出决算总体情况说明\n2021年度收、支总计10万元。")
    d = r.document
    assert d["doc_type"] == "final_accounts" and d["fiscal_year"] == 2021
    assert d["department"] == "高坪区文化广播电视和旅游局"
    assert d["region"]["code"] == "511303" and d["region"]["city"] == "南充市"
    assert d["sections"][0]["heading"] == "一、收入支出决算总体情况说明"


@pytest.mark.parametrize("text,name", [
    # a sentence that joins the department to its parent names the department alone
    ("第一部分 概况\n西昌市第三实验小学是西昌市教育局直属的事业单位。\n2021年度部门决算情况说明", "西昌市第三实验小学"),
    ("一、部门概况\n西昌市某某林场隶属于西昌市林业局。\n2021年部门预算情况说明", "西昌市某某林场"),
    # the name goes on to its last suffix of two characters (中心学校), not to one of one (局属)
    ("西昌市某乡中心学校2021年部门预算情况说明\n西昌市某乡中心学校", "西昌市某乡中心学校"),
    ("西昌市财政局2021年部门预算\n西昌市财政局局属单位", "西昌市财政局"),
])
def test_department_name_ends_where_the_name_does(text, name):
    assert extract(text).document["department"] == name
