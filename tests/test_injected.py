"""Problems injected into a faithful rebuild of a real 部门预算 PDF, each caught; the clean rebuild
raises no alarm. The rebuild follows ../shared/corpus/real/jiangsu-cppcc-office-2019-budget-tables.pdf
(its statements, captions with 部门/单位 lines inside the table's first row, and its figures) with
the contents and 情况说明 sentences its department-budget companion prints."""
from __future__ import annotations

import importlib.util

import pytest

from extractors import extract
from extractors.evaluate import is_alarm

from .conftest import CJK_FONT, ROOT, require

spec = importlib.util.spec_from_file_location("synthetic_build", ROOT / "corpus" / "synthetic" / "build.py")
synthetic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(synthetic)

DEPT = "江苏省政协办公厅"
TITLE = f"{DEPT}2019年部门预算"
CONTENTS = ["目  录", "第一部分 2019年度部门预算表", "一、收支预算总表", "二、财政拨款支出预算表（功能科目）",
            "三、“三公”经费、会议费、培训费支出预算表", "四、一般公共预算机关运行经费支出预算表",
            "第二部分 2019年度部门预算情况说明"]
PROSE = [
    "第二部分 2019年度部门预算情况说明",
    "一、收支预算总体情况说明",
    f"{DEPT}2019年度收入、支出预算总计13,377.11万元，与上年相比收、支预算总计各增加3,226.63万元，增长31.79%。",
    "二、“三公”经费支出预算情况说明",
    f"{DEPT}2019年一般公共预算拨款安排的“三公”经费预算支出中，因公出国（境）费支出预算106.00万元，"
    "公务用车购置及运行维护费预算支出156.60万元，公务接待费支出预算397.50万元。",
    "2019年“三公”经费预算660.10万元，小于2018年预算675.10万元。",
]
OVERVIEW = [
    [f"收支预算总表部门：{DEPT} 单位：万元", "", "", ""],
    ["收入", "", "支出", ""],
    ["项目名称", "金额", "功能科目名称", "金额"],
    ["一、财政拨款", "13,297.11", "一、一般公共服务支出", "10,271.56"],
    ["1.一般公共预算", "13,297.11", "二、社会保障和就业支出", "858.51"],
    ["三、其他资金", "80.00", "三、住房保障支出", "2,247.04"],
    ["收入合计", "13,377.11", "支出合计", "13,377.11"],
]
APPROPRIATION = [
    [f"财政拨款支出预算表（功能科目）部门：{DEPT} 单位：万元", "", ""],
    ["功能科目编码", "功能科目名称", "金额"],
    ["", "合计", "13,297.11"],
    ["201", "一般公共服务支出", "10,191.56"],
    ["20102", "政协事务", "10,191.56"],
    ["2010201", "行政运行", "5,223.22"],
    ["2010202", "一般行政管理事务", "3,159.78"],
    ["2010204", "政协会议", "1,282.56"],
    ["2010205", "委员视察", "426.00"],
    ["2010299", "其他政协事务支出", "100.00"],
    ["208", "社会保障和就业支出", "858.51"],
    ["20805", "行政事业单位离退休", "858.51"],
    ["2080504", "未归口管理的行政单位离退休", "277.05"],
    ["2080505", "机关事业单位基本养老保险缴费支出", "415.33"],
    ["2080506", "机关事业单位职业年金缴费支出", "166.13"],
    ["221", "住房保障支出", "2,247.04"],
    ["22102", "住房改革支出", "2,247.04"],
    ["2210201", "住房公积金", "492.87"],
    ["2210202", "提租补贴", "1,754.17"],
]
THREE_PUBLIC = [
    ["“三公”经费、会议费、培训费支出预算表", "", "", "", "", "", ""],
    [f"部门：{DEPT}", "", "", "", "", "单位：万元", ""],
    ["合计", "“三公”经费小计", "因公出国（境）费", "公务用车购置及运行维护费", "公务接待费", "会议费", "培训费"],
    ["2,224.43", "660.10", "106.00", "156.60", "397.50", "1,282.56", "281.77"],
]
OPERATING = [
    [f"一般公共预算机关运行经费支出预算表部门：{DEPT} 单位：万元", "", ""],
    ["科目编码", "科目名称", "机关运行经费支出"],
    ["", "合计", "1,130.74"],
    ["302", "商品和服务支出", "1,130.74"],
]


def _document():
    return {"title": TITLE, "contents": list(CONTENTS), "prose": list(PROSE),
            "tables": [OVERVIEW, APPROPRIATION, THREE_PUBLIC, OPERATING]}


def _pdf(doc: dict, path) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    font = synthetic._embeddable_font()
    style = ParagraphStyle("zh", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    story = [Paragraph(doc["title"], style), Spacer(1, 12)]
    story += [Paragraph(line, style) for line in doc["contents"]] + [PageBreak()]
    for rows in doc["tables"]:
        table = Table([list(r) for r in rows])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7),
                                   ("SPAN", (0, 0), (-1, 0))]))
        story += [table, PageBreak()]
    story += [Paragraph(line, style) for line in doc["prose"]]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path.read_bytes()


def _replace(lines: list[str], old: str, new: str) -> list[str]:
    assert any(old in line for line in lines), old
    return [line.replace(old, new) for line in lines]


def _placeholder(doc):
    doc["prose"] = _replace(doc["prose"], "收入、支出预算总计13,377.11万元", "收入、支出预算总计XXX万元")


def _table_removed(doc):
    doc["tables"] = [t for t in doc["tables"] if t is not OPERATING]


def _cell_emptied(doc):
    doc["tables"][1] = [["" if r[1] == "委员视察" and i == 2 else c for i, c in enumerate(r)] for r in APPROPRIATION]


def _wrong_heading_year(doc):
    doc["prose"] = _replace(doc["prose"], "第二部分 2019年度部门预算情况说明", "第二部分 2018年度部门预算情况说明")


def _total_zero(doc):
    doc["tables"][1] = [["20102", "政协事务", "0.00"] if r[1] == "政协事务" else r for r in APPROPRIATION]


def _wording(doc):
    doc["prose"] = _replace(doc["prose"], "小于2018年预算", "大于2018年预算")


def _double_punctuation(doc):
    doc["prose"] = _replace(doc["prose"], "增长31.79%。", "增长31.79%。。")


INJECTIONS = [
    ("placeholder", _placeholder, "placeholder"),
    ("a table the contents list removed", _table_removed, "missing_statement"),
    ("an emptied cell", _cell_emptied, "sum_mismatch"),
    ("a wrong year in a heading", _wrong_heading_year, "year_mismatch"),
    ("a total set to 0", _total_zero, "sum_mismatch"),
    ("大于 for 小于", _wording, "wording_mismatch"),
    ("doubled punctuation", _double_punctuation, "repeated_punctuation"),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    require(CJK_FONT.exists(), "a CJK font (fonts-wqy-microhei)")
    path = tmp_path_factory.mktemp("injected") / "clean.pdf"
    return extract(_pdf(_document(), path), "clean.pdf")


def test_the_clean_rebuild_is_read_and_raises_no_alarm(clean):
    assert clean.document["fiscal_year"] == 2019 and clean.document["doc_type"] == "budget"
    items = {(i["item"], i["scope"]) for i in clean.line_items if i["level"] == "item"}
    assert ("委员视察", "fiscal_appropriation") in items
    three = {f["value"] for f in clean.facts if f["concept"] == "three_public.total"}
    assert three == {"6601000"}            # the 小计, not the 合计 with 会议费 and 培训费
    assert [f["message"] for f in clean.findings if is_alarm(f)] == []


@pytest.mark.parametrize("what, inject, rule", INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_each_injected_problem_is_caught(what, inject, rule, tmp_path, clean, cjk_font):
    doc = _document()
    inject(doc)
    result = extract(_pdf(doc, tmp_path / "injected.pdf"), "injected.pdf")
    caught = [f for f in result.findings if f["rule"] == rule and is_alarm(f)]
    assert caught, (what, [(f["rule"], f["message"]) for f in result.findings])
    for f in caught:
        assert f["evidence"] and all(result.document["text"][e["start"]:e["end"]] == e["text"] for e in f["evidence"])
