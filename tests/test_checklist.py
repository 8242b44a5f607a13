"""The disclosure checklist: present, absent, nil statements, and scope."""
import pytest

from extractors import extract

FULL = ("某县财政局2022年部门决算\n一、收入支出决算总体情况说明\n2022年度收、支总计100万元。\n"
        "二、收入决算情况说明\n2022年本年收入合计100万元。\n三、支出决算情况说明\n2022年本年支出合计100万元，其中：基本支出80万元。\n")


def checklist(text):
    return {c["item"]: c for c in extract(text).disclosure_checklist}


def test_contract_items_are_all_listed():
    items = checklist(FULL)
    assert {"overview", "revenue", "expenditure", "appropriation", "general_budget_expenditure",
            "basic_expenditure", "three_public_expenses", "government_fund", "state_capital",
            "institution_operating_expenses", "procurement", "state_assets", "performance", "glossary"} <= set(items)


def test_present_items_carry_evidence_into_the_original_text():
    for c in extract(FULL).disclosure_checklist:
        if c["present"]:
            assert FULL[c["evidence"]["start"]:c["evidence"]["end"]] == c["evidence"]["text"]
        else:
            assert c["evidence"] is None


@pytest.mark.parametrize("sentence,item", [
    ("本部门无政府采购支出。", "procurement"),
    ("本部门2022年无政府性基金预算财政拨款支出。", "government_fund"),
    ("国有资本经营预算财政拨款支出0万元。", "state_capital"),
    ("“三公”经费财政拨款支出决算为0万元。", "three_public_expenses"),
])
def test_a_nil_statement_counts_as_present(sentence, item):
    assert not checklist(FULL)[item]["present"]
    assert checklist(FULL + sentence)[item]["present"]


def test_missing_items_become_findings():
    missing = {f["expected"] for f in extract(FULL).findings if f["rule"] == "missing_required_item"}
    assert "政府采购" in missing and "名词解释" in missing and "基本支出" not in missing


def test_three_public_only_statement_is_not_reported_as_missing_everything():
    text = "某县审计局2023年度“三公”经费支出情况说明\n2023年度“三公”经费财政拨款支出决算为4.36万元，其中：公务接待费4.36万元。"
    items = extract(text).disclosure_checklist
    assert [c["item"] for c in items if c["applicable"]] == ["three_public_expenses"]
    assert not [f for f in extract(text).findings if f["rule"] == "missing_required_item"]


def test_performance_evaluation_has_no_disclosure_checklist():
    text = "某县民政局2022年度生活救助项目绩效评价报告\n一、项目概况\n项目资金50万元，救助300人次。"
    r = extract(text)
    assert r.document["doc_type"] == "performance_evaluation" and r.disclosure_checklist == []
