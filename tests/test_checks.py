"""Each rule with passing and failing cases, and rounding at the edge of tolerance."""
import pytest

from extractors import extract


def rules(text):
    return [f["rule"] for f in extract(text).findings]


@pytest.mark.parametrize("total,change,rate,mismatch", [
    ("270", "45.25", "18.8", True),      # 45.25/224.75 = 20.13%
    ("270", "45.25", "20.13", False),
    ("270", "45.25", "20.1", False),     # rounded to one decimal: still within half a digit
    ("17.8", "4.83", "37.24", False),
    ("17.8", "4.83", "37.3", False),     # 37.24 ± rounding of 17.8 and 4.83 reaches 37.3
    ("17.8", "4.83", "38", True),
])
def test_change_rate_mismatch(total, change, rate, mismatch):
    text = f"2021年度收、支总计{total}万元。与2020年相比，收、支总计各增加{change}万元，上升{rate}%。"
    assert ("change_rate_mismatch" in rules(text)) is mismatch


def test_conflicting_values_across_the_document():
    text = "2021年本年收入合计227.48万元。\n附件：2021年本年收入合计270万元。"
    found = [f for f in extract(text).findings if f["rule"] == "conflicting_values"]
    assert len(found) == 1 and {found[0]["expected"], found[0]["actual"]} == {"2274800", "2700000"}
    assert len(found[0]["evidence"]) == 2


def test_same_value_twice_is_not_a_conflict():
    assert rules("2021年本年收入合计270万元。2021年本年收入合计270万元。") == []


def test_duplicate_line_item():
    line = "住房保障（类）住房改革支出（款）住房公积金（项）：2021年决算数为13.08万元。\n"
    assert rules(line + line) == ["duplicate_line_item"]
    assert rules(line) == []
