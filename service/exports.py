"""CSV and XLSX views of a stored result: facts, line items, findings (with their evidence and
review), indicators, the disclosure checklist and the checks. CSV is for machines: the result's
own keys as headers, values exact as text. XLSX is for people: Chinese headers, amounts in 万元
with two decimals and thousands separators, rates as percentages, counts apart from money, fixed
widths and a frozen header row. Decimal values stay exact: a cell is a number only where the
number is exactly the decimal, else text."""
from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from extractors.rule_status import catalogue

PHASES = {"executed": "决算", "budgeted": "预算", "adjusted": "调整预算"}
DIRECTIONS = {"increase": "增加", "decrease": "减少", "flat": "持平"}
SEVERITIES = {"error": "错误", "warning": "警告", "info": "提示"}
REVIEWS = {"confirmed": "已确认", "false_alarm": "误报", "ignored": "忽略", None: "未复核"}
STATUSES = {"passed": "未发现问题", "failed": "发现问题", "not_applicable": "不适用", "skipped": "未检查"}
LEVELS = {"class": "类", "kind": "款", "item": "项"}
DOC_TYPES = {"final_accounts": "决算", "budget": "预算", "performance_evaluation": "绩效评价", "unknown": "未识别"}
WAN = "#,##0.00"
YUAN = "#,##0.00"
RATE = "0.00%"


@dataclass(frozen=True)
class Column:
    key: str                  # the CSV header (the result's own key path)
    header: str               # the XLSX header
    get: Callable             # (row, context) -> value
    number_format: str | None = None
    width: int = 12

    def raw(self, row, ctx):
        """The CSV's value: the result's own value at ``key`` where the result has it (exact text,
        a count's value too), else the derived one."""
        return self.get(row, ctx) if self.key in DERIVED else _path(self.key)(row, ctx)


def _path(path: str) -> Callable:
    def get(row, _ctx):
        value = row
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value
    return get


def _money(field: str, scale: int = 1) -> Callable:
    """An amount in yuan (scale 1) or 万元 (10000), only for money: a count (8人) is no money."""
    def get(row, _ctx):
        if row.get("unit", "CNY") != "CNY" or row.get(field) is None:
            return None
        return _exact(Decimal(row[field]) / scale)
    return get


def _count(row, _ctx):
    return None if row.get("unit", "CNY") == "CNY" else _exact(Decimal(row["value"]))


def _statement(row, _ctx):
    st = row.get("statement") or {}
    if st.get("id") == "prose":
        return "正文"
    return " ".join(x for x in (st.get("label"), st.get("name")) if x) or None


def _page(row, _ctx):
    ev = row.get("evidence")
    return ev.get("page") if isinstance(ev, dict) else None


def _quote(row, _ctx):
    ev = row.get("evidence")
    return " ".join(ev["text"].split()) if isinstance(ev, dict) and ev.get("text") else None


def _mapped(path: str, names: dict) -> Callable:
    get = _path(path)
    return lambda row, ctx: names.get(get(row, ctx), get(row, ctx))


def _doc(field: str) -> Callable:
    return lambda _row, ctx: ctx[field]


def _finding_quotes(row, _ctx):
    return " / ".join(" ".join(e["text"].split()) for e in row["evidence"] if e.get("text")) or None


def _finding_pages(row, _ctx):
    pages = sorted({e["page"] for e in row["evidence"] if e.get("page")})
    return "、".join(map(str, pages)) or None


def _finding_statements(row, ctx):
    names = []
    for e in row["evidence"]:
        table = e.get("table")
        if table is not None and table in ctx["statements"] and ctx["statements"][table] not in names:
            names.append(ctx["statements"][table])
    return "；".join(names) or None


def _review(field: str) -> Callable:
    def get(row, _ctx):
        review = row.get("review") or {}
        if field == "state":
            return REVIEWS.get(review.get("state"), review.get("state"))
        return review.get(field)
    return get


def _rule_label(row, _ctx):
    return rule_labels().get(row["rule"], row["rule"])


@functools.lru_cache(maxsize=1)
def rule_labels() -> dict[str, str]:
    """Rule id -> its Chinese label, from the rule catalogue."""
    return {r["id"]: r["label"] for r in catalogue()}


def _figure(field: str) -> Callable:
    """A finding's expected or actual value: a number (exact) where it is one."""
    def get(row, _ctx):
        value = row.get(field)
        try:
            return _exact(Decimal(value)) if value is not None else None
        except ArithmeticError:
            return value
    return get


DERIVED = {"value_wan", "amount_wan", "count", "rule_label", "quote", "pages", "statements", "filename",
           "department", "evidence.text", "evidence.page"}
_FILE = [Column("filename", "文件", _doc("filename"), width=28), Column("department", "部门", _doc("department"), width=24)]

# where a fact or line item was read, and the money it covers (the CSV's order of old)
_PLACED = [
        Column("evidence.text", "原文", _path("evidence.text"), width=40),
        Column("evidence.start", "起始位置", _path("evidence.start"), "0", 8),
        Column("evidence.end", "结束位置", _path("evidence.end"), "0", 8),
        Column("evidence.table", "表", _path("evidence.table"), "0", 5),
        Column("evidence.page", "页码", _path("evidence.page"), "0", 6),
        Column("statement.id", "报表代码", _path("statement.id"), width=20),
        Column("statement.name", "报表", _statement, width=30),
        Column("statement.label", "表号", _path("statement.label"), width=10),
        Column("scope", "口径", _path("scope"), width=12),
        Column("basis", "基本/项目", _path("basis"), width=8),
]

COLUMNS: dict[str, list[Column]] = {
    "facts": [
        Column("concept", "指标代码", _path("concept"), width=30),
        Column("label", "指标", _path("label"), width=22),
        Column("value", "金额（元）", _money("value"), YUAN, 16),
        Column("unit", "单位", _path("unit"), width=6),
        Column("fiscal_year", "年度", _path("fiscal_year"), "0", 7),
        Column("phase", "阶段", _mapped("phase", PHASES), width=8),
        Column("share", "占比", _figure("share"), RATE, 9),
        Column("budget_completion_rate", "预算完成率", _figure("budget_completion_rate"), RATE, 10),
        Column("change.amount", "增减额（元）", lambda r, c: _money("amount")(r.get("change") or {}, c), YUAN, 14),
        Column("change.rate", "增减率", lambda r, c: _figure("rate")(r.get("change") or {}, c), RATE, 9),
        Column("change.direction", "增减", _mapped("change.direction", DIRECTIONS), width=6),
        Column("change.compared_year", "比较年度", _path("change.compared_year"), "0", 8),
        *_PLACED,
        Column("value_wan", "金额（万元）", _money("value", 10000), WAN, 14),
        Column("count", "数量", _count, "#,##0", 8),
        *_FILE,
    ],
    "line_items": [
        Column("function_code", "科目编码", _path("function_code"), width=10),
        Column("class", "类", _path("class"), width=20),
        Column("kind", "款", _path("kind"), width=20),
        Column("item", "项", _path("item"), width=20),
        Column("level", "级次", _mapped("level", LEVELS), width=6),
        Column("amount", "金额（元）", _money("amount"), YUAN, 16),
        Column("fiscal_year", "年度", _path("fiscal_year"), "0", 7),
        Column("phase", "阶段", _mapped("phase", PHASES), width=8),
        Column("share", "占比", _figure("share"), RATE, 9),
        Column("budget_completion_rate", "预算完成率", _figure("budget_completion_rate"), RATE, 10),
        Column("cofog", "COFOG", _path("cofog"), width=7),
        *_PLACED,
        Column("amount_wan", "金额（万元）", _money("amount", 10000), WAN, 14),
        *_FILE,
    ],
    "findings": [
        Column("rule", "规则代码", _path("rule"), width=22),
        Column("severity", "严重程度", _mapped("severity", SEVERITIES), width=8),
        Column("message", "说明", _path("message"), width=60),
        Column("expected", "应为", _figure("expected"), width=16),
        Column("actual", "实为", _figure("actual"), width=16),
        Column("id", "编号", _path("id"), width=18),
        Column("rule_label", "规则", _rule_label, width=16),
        Column("quote", "原文", _finding_quotes, width=50),
        Column("pages", "页码", _finding_pages, width=8),
        Column("statements", "报表", _finding_statements, width=30),
        Column("review.state", "复核状态", _review("state"), width=8),
        Column("review.note", "复核意见", _review("note"), width=30),
        Column("review.by", "复核人", _review("by"), width=10),
        Column("review.at", "复核时间", _review("at"), width=20),
        *_FILE,
    ],
    "indicators": [
        Column("subject", "事项", _path("subject"), width=24),
        Column("measure", "类别", _path("measure"), width=14),
        Column("quantity.value", "数量", lambda r, c: _figure("value")(r.get("quantity") or {}, c), "#,##0.##", 10),
        Column("quantity.unit", "单位", _path("quantity.unit"), width=6),
        Column("evidence.text", "原文", _quote, width=50),
        Column("evidence.page", "页码", _page, "0", 6),
        *_FILE,
    ],
    "checklist": [
        Column("item", "公开内容代码", _path("item"), width=26),
        Column("label", "公开内容", _path("label"), width=24),
        Column("present", "是否公开", lambda r, _c: "是" if r.get("present") else "否", width=8),
        Column("evidence.text", "原文", _quote, width=50),
        Column("evidence.page", "页码", _page, "0", 6),
        *_FILE,
    ],
    "checks": [
        Column("rule", "规则代码", _path("rule"), width=24),
        Column("label", "规则", _path("label"), width=18),
        Column("checks", "检查内容", _path("checks"), width=60),
        Column("status", "结果", _mapped("status", STATUSES), width=10),
        Column("findings", "发现数", _path("findings"), "0", 7),
        Column("reason", "说明", _path("reason"), width=40),
        *_FILE,
    ],
}
TABLES = tuple(COLUMNS)
SHEET_NAMES = {"facts": "财政指标", "line_items": "支出科目", "findings": "核查发现", "indicators": "绩效指标",
               "checklist": "公开内容", "checks": "核查规则"}
_SOURCE = {"checklist": "disclosure_checklist"}


def context(result: dict) -> dict:
    doc = result.get("document") or {}
    statements = {}
    for row in result.get("facts", []) + result.get("line_items", []):
        table, st = row["evidence"].get("table"), row.get("statement") or {}
        if table is not None and table not in statements and (st.get("name") or st.get("label")):
            statements[table] = " ".join(x for x in (st.get("label"), st.get("name")) if x)
    return {"filename": (doc.get("source") or {}).get("filename"), "department": doc.get("department"),
            "statements": statements}


def rows(result: dict, table: str, for_csv: bool = False) -> tuple[list[Column], list[list]]:
    cols, ctx = COLUMNS[table], context(result)
    records = result.get(_SOURCE.get(table, table)) or []
    if for_csv:
        return cols, [[c.raw(r, ctx) for c in cols] for r in records]
    return cols, [[c.get(r, ctx) for c in cols] for r in records]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutral(value):
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``@SUM(A1)``, a
    leading tab or CR) gets a leading apostrophe (OWASP's CSV-injection advice); numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(cols: list[str], data) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(cols)
    writer.writerows([["" if v is None else neutral(_plain(v)) for v in r] for r in data])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")      # a BOM, so that Excel reads UTF-8


def xlsx_bytes(title: str, cols: list[str], data, formats: list[str | None] | None = None,
               widths: list[int] | None = None) -> bytes:
    """Text is written as text, never as a formula (openpyxl would take ``=…`` for one); the header
    row frozen and filtered."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(cols)
    for cell in sheet[1]:
        cell.font = openpyxl.styles.Font(bold=True)
    for r in data:
        sheet.append(list(r))
        for i, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif formats and i < len(formats) and formats[i] and cell.value is not None:
                cell.number_format = formats[i]
    for i, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    if data:
        sheet.auto_filter.ref = sheet.dimensions
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_csv(result: dict, table: str) -> bytes:
    cols, data = rows(result, table, for_csv=True)
    return csv_bytes([c.key for c in cols], data)


def to_xlsx(result: dict, table: str) -> bytes:
    cols, data = rows(result, table)
    return xlsx_bytes(SHEET_NAMES[table], [c.header for c in cols], data, [c.number_format for c in cols],
                      [c.width for c in cols])


def exact_number(value: str | None):
    """A decimal string as an XLSX number where that is exact, else as it is."""
    if value is None:
        return None
    try:
        return _exact(Decimal(value))
    except ArithmeticError:
        return value


def _exact(value: Decimal):
    """A number where a float holds the decimal exactly (as Excel keeps it), else its text."""
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return int(as_float) if as_float.is_integer() and abs(as_float) < 2 ** 53 else as_float
    return format(value, "f")


def _plain(value):
    """A CSV cell: the decimal as the result writes it (no exponent, no trailing .0)."""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return value

