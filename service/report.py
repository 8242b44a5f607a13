"""One audit report per document, to hand on: as a PDF for print (reportlab, with the Adobe CJK
font every PDF reader has, so nothing is embedded or downloaded) and as an XLSX workbook. Both
hold the document's metadata, fiscal-extract's version and the date, each finding with its quote,
pages, statements, expected and stated values and review, the checks run, the checklist, and the
facts and line items."""
from __future__ import annotations

import functools
import io
from datetime import datetime, timezone
from decimal import Decimal
from xml.sax.saxutils import escape

from extractors import __version__

from . import exports
from .exports import DOC_TYPES, PHASES, REVIEWS, SEVERITIES, STATUSES

FONT = "STSong-Light"


def metadata(result: dict) -> list[tuple[str, str]]:
    doc = result["document"]
    source = doc.get("source") or {}
    region = doc.get("region") or {}
    counts = {s: sum(f["severity"] == s for f in result["findings"]) for s in SEVERITIES}
    reviewed = sum(1 for f in result["findings"] if f.get("review"))
    return [
        ("部门", doc.get("department") or "（未识别）"),
        ("地区", "".join(region.get(k) or "" for k in ("province", "city", "county")) or "（未识别）"),
        ("年度", str(doc["fiscal_year"]) if doc.get("fiscal_year") else "（未识别）"),
        ("类型", DOC_TYPES.get(doc.get("doc_type"), doc.get("doc_type") or "")),
        ("文件", source.get("filename") or source.get("url") or "（粘贴的文本）"),
        ("页数", str(source["pages"]) if source.get("pages") else "—"),
        ("SHA-256", doc["sha256"]),
        ("核查发现", "，".join(f"{SEVERITIES[s]} {n}" for s, n in counts.items()) + f"（已复核 {reviewed}）"),
        ("核查工具", f"fiscal-extract {__version__}"),
        ("报告日期", datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")),
    ]


def download_name(result: dict, what: str, suffix: str) -> str:
    """盐边县总工会-2021-决算-findings.xlsx: from the document, never its hash alone."""
    doc = result["document"]
    parts = [doc.get("department") or _stem((doc.get("source") or {}).get("filename")) or doc["sha256"][:12]]
    if doc.get("fiscal_year"):
        parts.append(str(doc["fiscal_year"]))
    if doc.get("doc_type") and doc["doc_type"] != "unknown":
        parts.append(DOC_TYPES[doc["doc_type"]])
    name = "-".join(parts + [what])
    return "".join(ch for ch in name if ch not in '\\/:*?"<>|\r\n\t') + "." + suffix


def _stem(filename: str | None) -> str | None:
    return filename.rsplit(".", 1)[0] if filename else None


# ---------------------------------------------------------------- XLSX
def to_xlsx(result: dict) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "概况"
    sheet.append(["审核报告", ""])
    sheet["A1"].font = Font(bold=True, size=14)
    for key, value in metadata(result):
        sheet.append([key, value])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 70
    for table in ("findings", "checks", "checklist", "facts", "line_items", "indicators"):
        cols, data = exports.rows(result, table)
        ws = book.create_sheet(exports.SHEET_NAMES[table])
        ws.append([c.header for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in data:
            ws.append(row)
            for cell, col in zip(ws[ws.max_row], cols):
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    cell.alignment = Alignment(wrap_text=len(cell.value) > 30, vertical="top")
                elif col.number_format and cell.value is not None:
                    cell.number_format = col.number_format
        for i, col in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF
@functools.lru_cache(maxsize=1)
def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = dict(fontName=FONT, wordWrap="CJK", leading=14, fontSize=9.5)
    return {
        "title": ParagraphStyle("title", **{**base, "fontSize": 16, "leading": 22}),
        "h2": ParagraphStyle("h2", **{**base, "fontSize": 12.5, "leading": 18, "spaceBefore": 10, "spaceAfter": 4}),
        "body": ParagraphStyle("body", **base),
        "small": ParagraphStyle("small", **{**base, "fontSize": 8.5, "leading": 12}),
        "quote": ParagraphStyle("quote", **{**base, "fontSize": 8.5, "leading": 12, "leftIndent": 10,
                                            "textColor": "#333333"}),
    }


_SEVERITY_COLOURS = {"error": "#b00020", "warning": "#8a5a00", "info": "#1f4e79"}


def to_pdf(result: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    st = _styles()
    p = lambda text, style="body": Paragraph(escape(str(text)), st[style])      # noqa: E731
    grid = TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))])
    doc = result["document"]
    story = [p(f"审核报告：{doc.get('department') or '（部门未识别）'}", "title"), Spacer(1, 3 * mm)]
    story.append(Table([[p(k, "small"), p(v, "small")] for k, v in metadata(result)], colWidths=[28 * mm, 150 * mm],
                       style=TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                         ("LINEBELOW", (0, 0), (-1, -1), 0.2, colors.lightgrey)])))
    story.append(p("一、核查发现", "h2"))
    if not result["findings"]:
        story.append(p("未发现问题。下文“核查规则”列出检查了什么。"))
    statements = exports.context(result)["statements"]
    for i, f in enumerate(result["findings"], start=1):
        story.append(KeepTogether(_finding_block(i, f, statements, p, st)))
    story.append(p("二、核查规则", "h2"))
    story.append(_table([["规则", "结果", "发现数", "说明"]] + [
        [c["label"], STATUSES[c["status"]], str(c["findings"]), c.get("reason") or c["checks"]]
        for c in result.get("checks", [])], [34, 20, 14, 110], p, grid))
    story.append(p("三、必须公开的内容", "h2"))
    story.append(_table([["公开内容", "是否公开", "页码"]] + [
        [c["label"], "是" if c["present"] else "否", str((c.get("evidence") or {}).get("page") or "")]
        for c in result["disclosure_checklist"]], [80, 30, 20], p, grid))
    story.append(p("四、财政指标", "h2"))
    story.append(_table([["指标", "金额（万元）/数量", "年度", "阶段", "报表", "页码"]] + [
        [f["label"], _amount(f.get("value"), f.get("unit")), str(f.get("fiscal_year") or ""), PHASES.get(f["phase"], f["phase"]),
         exports._statement(f, None) or "", str(f["evidence"].get("page") or "")] for f in result["facts"]],
        [40, 28, 12, 14, 70, 12], p, grid))
    story.append(p("五、支出功能分类科目", "h2"))
    story.append(_table([["编码", "科目", "金额（万元）", "年度", "阶段", "页码"]] + [
        [i.get("function_code") or "", "／".join(x for x in (i["class"], i.get("kind"), i.get("item")) if x),
         _amount(i["amount"], "CNY"), str(i.get("fiscal_year") or ""), PHASES.get(i["phase"], i["phase"]),
         str(i["evidence"].get("page") or "")] for i in result["line_items"]], [18, 84, 26, 12, 14, 12], p, grid))
    buf = io.BytesIO()
    frame = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                              bottomMargin=16 * mm, title=f"审核报告 {doc.get('department') or doc['sha256'][:12]}",
                              author=f"fiscal-extract {__version__}")
    frame.build(story, onFirstPage=_footer(doc), onLaterPages=_footer(doc))
    return buf.getvalue()


def _finding_block(i: int, f: dict, statements: dict, p, st) -> list:
    from reportlab.platypus import Paragraph
    colour = _SEVERITY_COLOURS[f["severity"]]
    rule = exports.rule_labels().get(f["rule"], f["rule"])
    head = (f'<font color="{colour}"><b>{i}. [{SEVERITIES[f["severity"]]}]</b></font> '
            f'{escape(rule)}（{escape(f["rule"])}，编号 {escape(f.get("id", ""))}）')
    block = [Paragraph(head, st["body"]), p(f["message"])]
    if f.get("expected") is not None or f.get("actual") is not None:
        block.append(p(f"应为：{_figure(f.get('expected'))}　实为：{_figure(f.get('actual'))}", "small"))
    for e in f["evidence"]:
        where = "，".join(x for x in (statements.get(e.get("table")), f"第{e['page']}页" if e.get("page") else None) if x)
        block.append(p(f"原文{('（' + where + '）') if where else ''}：“{' '.join(e['text'].split())}”", "quote"))
    review = f.get("review")
    state = REVIEWS.get(review["state"] if review else None)
    note = f"：{review['note']}" if review and review.get("note") else ""
    by = f"（{review['by']}，{review['at'][:16].replace('T', ' ')}）" if review and review.get("by") else ""
    block.append(p(f"复核：{state}{note}{by}", "small"))
    return block


def _table(rows, widths_mm, p, style):
    from reportlab.lib.units import mm
    from reportlab.platypus import Table
    return Table([[p(c, "small") for c in row] for row in rows], colWidths=[w * mm for w in widths_mm],
                 style=style, repeatRows=1)


def _amount(value, unit) -> str:
    if value is None:
        return ""
    if unit != "CNY":
        return f"{Decimal(value):,f}{unit}"
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.01')):,}"


def _figure(value) -> str:
    if value is None:
        return "—"
    try:
        d = Decimal(value)
    except ArithmeticError:
        return str(value)
    return f"{d:,f}"


def _footer(doc: dict):
    from reportlab.lib.units import mm

    def draw(canvas, frame):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(16 * mm, 10 * mm, f"fiscal-extract {__version__} · {doc['sha256'][:16]}… · 第 {frame.page} 页")
        canvas.restoreState()
    return draw
