"""Builds one synthetic 部门决算 (all nine standard tables plus its prose) in every format the
service reads: .txt, .html, .pdf, .docx, .xlsx and .xls, and the gold file for each.

    python corpus/synthetic/build.py [OUTDIR]     (default: corpus/)

The figures are invented and add up; the gold is written from the definition below, never from
the extractor. The tests rebuild the files in a temporary folder and compare the formats.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

NAME = "renhe-natural-resources-2022-synthetic"
TITLE = "仁和区自然资源局2022年度部门决算"

PROSE_BEFORE = [
    TITLE,
    "第一部分 部门概况",
    "一、主要职能",
    "仁和区自然资源局负责全区自然资源调查监测、国土空间规划和用途管制等工作。",
    "二、人员情况",
    "仁和区自然资源局核定编制32人，实有在职人员30人，退休人员12人。",
    "第二部分 2022年度部门决算表",
]
TABLES = [
    ("表一 收入支出决算总表", [
        ["项目", "决算数", "项目", "决算数"],
        ["一般公共预算财政拨款收入", "812.40", "自然资源海洋气象等支出", "640.00"],
        ["政府性基金预算财政拨款收入", "0.00", "社会保障和就业支出", "96.40"],
        ["国有资本经营预算财政拨款收入", "0.00", "卫生健康支出", "31.00"],
        ["上级补助收入", "0.00", "住房保障支出", "50.00"],
        ["事业收入", "0.00", "", ""],
        ["经营收入", "0.00", "", ""],
        ["附属单位上缴收入", "0.00", "", ""],
        ["其他收入", "0.00", "", ""],
        ["本年收入合计", "812.40", "本年支出合计", "817.40"],
        ["年初结转和结余", "20.00", "年末结转和结余", "15.00"],
        ["收入总计", "832.40", "支出总计", "832.40"],
    ]),
    ("表二 收入决算表", [
        ["项目", "本年收入合计", "一般公共预算财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"],
        ["合计", "812.40", "812.40", "0.00", "0.00", "0.00", "0.00", "0.00"],
    ]),
    ("表三 支出决算表", [
        ["项目", "本年支出合计", "基本支出", "项目支出"],
        ["合计", "817.40", "547.70", "269.70"],
    ]),
    ("表四 财政拨款收入支出决算总表", [
        ["收入", "决算数", "支出", "决算数"],
        ["一般公共预算财政拨款收入", "812.40", "一般公共预算财政拨款支出", "817.40"],
        ["政府性基金预算财政拨款收入", "0.00", "政府性基金预算财政拨款支出", "0.00"],
        ["年初财政拨款结转和结余", "20.00", "年末财政拨款结转和结余", "15.00"],
        ["收入总计", "832.40", "支出总计", "832.40"],
    ]),
    ("表五 一般公共预算财政拨款支出决算表", [
        ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
        ["220", "自然资源海洋气象等支出", "640.00", "370.30", "269.70"],
        ["22001", "自然资源事务", "640.00", "370.30", "269.70"],
        ["2200101", "行政运行", "320.00", "320.00", "0.00"],
        ["2200150", "事业运行", "50.30", "50.30", "0.00"],
        ["2200199", "其他自然资源事务支出", "269.70", "0.00", "269.70"],
        ["208", "社会保障和就业支出", "96.40", "96.40", "0.00"],
        ["20805", "行政事业单位养老支出", "96.40", "96.40", "0.00"],
        ["2080505", "机关事业单位基本养老保险缴费支出", "64.30", "64.30", "0.00"],
        ["2080506", "机关事业单位职业年金缴费支出", "32.10", "32.10", "0.00"],
        ["210", "卫生健康支出", "31.00", "31.00", "0.00"],
        ["21011", "行政事业单位医疗", "31.00", "31.00", "0.00"],
        ["2101101", "行政单位医疗", "18.20", "18.20", "0.00"],
        ["2101102", "事业单位医疗", "12.80", "12.80", "0.00"],
        ["221", "住房保障支出", "50.00", "50.00", "0.00"],
        ["22102", "住房改革支出", "50.00", "50.00", "0.00"],
        ["2210201", "住房公积金", "50.00", "50.00", "0.00"],
        ["合计", "", "817.40", "547.70", "269.70"],
    ]),
    ("表六 一般公共预算财政拨款基本支出决算表", [
        ["科目编码", "科目名称", "决算数"],
        ["301", "工资福利支出", "430.00"],
        ["303", "对个人和家庭的补助", "59.50"],
        ["302", "商品和服务支出", "58.20"],
        ["人员经费合计", "", "489.50"],
        ["公用经费合计", "", "58.20"],
        ["合计", "", "547.70"],
    ]),
    ("表七 政府性基金预算财政拨款收入支出决算表", [
        ["科目编码", "科目名称", "本年支出"],
        ["合计", "", "0.00"],
    ]),
    ("表八 国有资本经营预算财政拨款支出决算表", [
        ["科目编码", "科目名称", "本年支出"],
        ["合计", "", "0.00"],
    ]),
    ("表九 “三公”经费支出决算表", [
        ["项目", "预算数", "决算数"],
        ["合计", "8.00", "6.45"],
        ["因公出国（境）费", "0.00", "0.00"],
        ["公务用车购置及运行维护费", "5.00", "4.20"],
        ["其中：公务用车购置费", "0.00", "0.00"],
        ["公务用车运行维护费", "5.00", "4.20"],
        ["公务接待费", "3.00", "2.25"],
    ]),
]
NOTES = {"表七 政府性基金预算财政拨款收入支出决算表": "注：本单位2022年度无政府性基金预算财政拨款收入、支出。",
         "表八 国有资本经营预算财政拨款支出决算表": "注：本单位2022年度无国有资本经营预算财政拨款支出。"}
PROSE_AFTER = [
    "第三部分 2022年度部门决算情况说明",
    "一、收入支出决算总体情况说明",
    "2022年度收、支总计832.40万元。与2021年相比，收、支总计各增加32.40万元，增长4.05%。主要原因是新增国土空间规划项目。",
    "二、“三公”经费财政拨款支出决算情况说明",
    "2022年“三公”经费财政拨款支出6.45万元，完成预算80.63%。",
    "三、机关运行经费支出情况",
    "2022年机关运行经费支出58.20万元。",
    "四、政府采购支出情况",
    "2022年度本部门无政府采购支出。",
    "五、国有资产占有使用情况",
    "截至2022年12月31日，本部门共有车辆2辆。",
    "六、预算绩效管理情况",
    "2022年对5个项目开展了绩效自评。",
    "七、名词解释",
    "基本支出：指为保障机构正常运转、完成日常工作任务而发生的人员支出和公用支出。",
]
UNIT = "单位：万元"


def _gold() -> dict:
    Y = 2022

    def f(concept, value, phase="executed", **kw):
        return {"concept": concept, "value": value, "fiscal_year": Y, "phase": phase, **kw}

    def i(level, cls, kind, item, amount, code):
        return {"level": level, "class": cls, "kind": kind, "item": item, "amount": amount,
                "fiscal_year": Y, "function_code": code}
    facts = [
        f("staffing.authorized", "32", unit="人"), f("staffing.actual", "30", unit="人"), f("staffing.retired", "12", unit="人"),
        f("total_revenue_expenditure", "8324000",
          change={"amount": "324000", "rate": "0.0405", "direction": "increase", "compared_year": 2021}),
        f("revenue_total", "8124000"), f("revenue.general_budget_appropriation", "8124000"),
        f("revenue.government_fund_appropriation", "0"), f("revenue.state_capital_appropriation", "0"),
        f("revenue.superior_subsidy", "0"), f("revenue.business", "0"), f("revenue.operating", "0"),
        f("revenue.subordinate_remittance", "0"), f("revenue.other", "0"), f("revenue.prior_year_carryover", "200000"),
        f("expenditure_total", "8174000"), f("expenditure.basic", "5477000"), f("expenditure.project", "2697000"),
        f("carryover.year_end", "150000"),
        f("appropriation.total", "8324000"), f("appropriation.general_budget_expenditure", "8174000"),
        f("appropriation.government_fund_expenditure", "0"), f("appropriation.general_budget_basic", "5477000"),
        f("appropriation.state_capital_expenditure", "0"),
        f("expenditure.basic.personnel", "4895000"), f("expenditure.basic.public", "582000"),
        f("three_public.total", "64500", budget_completion_rate="0.8063"), f("three_public.total", "80000", "budgeted"),
        f("three_public.outbound_travel", "0"), f("three_public.outbound_travel", "0", "budgeted"),
        f("three_public.vehicle", "42000"), f("three_public.vehicle", "50000", "budgeted"),
        f("three_public.vehicle_purchase", "0"), f("three_public.vehicle_purchase", "0", "budgeted"),
        f("three_public.vehicle_operation", "42000"), f("three_public.vehicle_operation", "50000", "budgeted"),
        f("three_public.reception", "22500"), f("three_public.reception", "30000", "budgeted"),
        f("institution_operating_expenses", "582000"),
        f("procurement.total", "0", optional=True),
    ]
    items = [
        i("class", "自然资源海洋气象等支出", None, None, "6400000", "220"),
        i("kind", "自然资源海洋气象等支出", "自然资源事务", None, "6400000", "22001"),
        i("item", "自然资源海洋气象等支出", "自然资源事务", "行政运行", "3200000", "2200101"),
        i("item", "自然资源海洋气象等支出", "自然资源事务", "事业运行", "503000", "2200150"),
        i("item", "自然资源海洋气象等支出", "自然资源事务", "其他自然资源事务支出", "2697000", "2200199"),
        i("class", "社会保障和就业支出", None, None, "964000", "208"),
        i("kind", "社会保障和就业支出", "行政事业单位养老支出", None, "964000", "20805"),
        i("item", "社会保障和就业支出", "行政事业单位养老支出", "机关事业单位基本养老保险缴费支出", "643000", "2080505"),
        i("item", "社会保障和就业支出", "行政事业单位养老支出", "机关事业单位职业年金缴费支出", "321000", "2080506"),
        i("class", "卫生健康支出", None, None, "310000", "210"),
        i("kind", "卫生健康支出", "行政事业单位医疗", None, "310000", "21011"),
        i("item", "卫生健康支出", "行政事业单位医疗", "行政单位医疗", "182000", "2101101"),
        i("item", "卫生健康支出", "行政事业单位医疗", "事业单位医疗", "128000", "2101102"),
        i("class", "住房保障支出", None, None, "500000", "221"),
        i("kind", "住房保障支出", "住房改革支出", None, "500000", "22102"),
        i("item", "住房保障支出", "住房改革支出", "住房公积金", "500000", "2210201"),
    ]
    return {"document": {"doc_type": "final_accounts", "fiscal_year": Y, "department": "仁和区自然资源局",
                         "region": {"province": "四川省", "city": "攀枝花市", "county": "仁和区", "code": "510411"}},
            "facts": facts, "line_items": items, "findings": [],
            "notes": "Synthetic: the nine standard tables of a 部门决算 and prose that restates some of them; "
                     "built by corpus/synthetic/build.py in every format with the same gold."}


# ---------------------------------------------------------------- writers
def blocks():
    """('p', text) and ('t', caption, rows) in reading order."""
    out = [("p", t) for t in PROSE_BEFORE]
    for caption, rows in TABLES:
        out += [("p", caption), ("p", UNIT), ("t", caption, rows)]
        if caption in NOTES:
            out.append(("p", NOTES[caption]))
    return out + [("p", t) for t in PROSE_AFTER]


def write_txt(path: Path) -> None:
    lines = []
    for b in blocks():
        if b[0] == "p":
            lines.append(b[1])
        else:
            lines += ["| " + " | ".join(r) + " |" for r in b[2]]
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_html(path: Path) -> None:
    from html import escape
    body = ['<div class="nav"><a href="/">首页</a> | <a href="/zwgk">政务公开</a></div>',
            '<script>var tracker = "预算123万元";</script>', '<div class="TRS_Editor">']
    for b in blocks():
        if b[0] == "p":
            body.append(f"<p>{escape(b[1])}</p>")
        else:
            rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in b[2])
            body.append(f'<table border="1">{rows}</table>')
    body += ["</div>", '<div class="footer">版权所有：仁和区人民政府 电话：0812-1234567</div>']
    html = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}</title>'
            f"<style>p{{margin:0}}</style></head><body>{''.join(body)}</body></html>")
    path.write_text(html, encoding="utf-8")


def write_docx(path: Path) -> None:
    import docx
    document = docx.Document()
    for b in blocks():
        if b[0] == "p":
            document.add_paragraph(b[1])
        else:
            rows = b[2]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    document.save(path)


def _sheets():
    """(sheet name, rows): the prose on one sheet, each table on its own with its caption."""
    prose = [[t] for t in PROSE_BEFORE[:6]] + [[t] for t in PROSE_AFTER]
    sheets = [("情况说明", prose)]
    for caption, rows in TABLES:
        head = [[TITLE], [caption], [UNIT]]
        sheets.append((caption.split(" ")[0], head + [[_cell(c) for c in r] for r in rows]))
    return sheets


def _cell(text: str):
    try:
        return float(text) if "." in text else text
    except ValueError:
        return text


def write_xlsx(path: Path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in _sheets():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
    book.save(path)


def write_xls(path: Path) -> None:
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in _sheets():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.save(str(path))


def write_pdf(path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
    font = _embeddable_font()
    style = ParagraphStyle("zh", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    story = []
    for b in blocks():
        if b[0] == "p":
            story.append(Paragraph(b[1], style))
        else:
            table = Table([[Paragraph(c, style) for c in r] for r in b[2]], repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                       ("FONTNAME", (0, 0), (-1, -1), font)]))
            story.append(table)
    SimpleDocTemplate(str(path), pagesize=A4, title=TITLE).build(story)


FONT_FILES = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]


def _embeddable_font() -> str:
    """A TrueType CJK font embedded in the PDF (so that it renders, and can be scanned), else
    reportlab's built-in STSong-Light, which has a text layer but no glyphs of its own."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    for path in FONT_FILES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
            return "CJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


WRITERS = {"txt": write_txt, "html": write_html, "pdf": write_pdf, "docx": write_docx, "xlsx": write_xlsx, "xls": write_xls}


def build(outdir: Path, formats=tuple(WRITERS)) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for ext in formats:
        doc = outdir / f"{NAME}.{ext}"
        WRITERS[ext](doc)
        gold = {"doc": doc.name, **copy.deepcopy(_gold())}
        gold_path = outdir / f"{NAME}.{ext}.gold.json"
        gold_path.write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(doc)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    for p in build(target):
        print(p)
