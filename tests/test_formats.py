"""Documents as portals publish them: the same disclosure in every format gives the same facts."""
import importlib.util
import io
import json
import subprocess
import shutil
import sys

import pytest

from extractors import Errors, ExtractionError, extract

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("synthetic_build", ROOT / "corpus" / "synthetic" / "build.py")
synthetic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(synthetic)
FORMATS = ["txt", "html", "pdf", "docx", "xlsx", "xls"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    return {p.suffix[1:]: p for p in synthetic.build(out)}


def _facts(result):
    return sorted((f["concept"], f["value"], f["phase"], f["fiscal_year"]) for f in result.facts)


def _items(result):
    return sorted((i["level"], i["function_code"], i["amount"], i["phase"]) for i in result.line_items)


@pytest.fixture(scope="module")
def text_result(built):
    return extract(built["txt"].read_bytes(), built["txt"].name)


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_every_format_gives_the_text_versions_facts_and_line_items(built, text_result, fmt):
    result = extract(built[fmt].read_bytes(), built[fmt].name)
    assert _facts(result) == _facts(text_result)
    assert _items(result) == _items(text_result)
    assert result.document["department"] == "仁和区自然资源局" and result.document["fiscal_year"] == 2022


@pytest.mark.parametrize("fmt,media_type", [
    ("pdf", "application/pdf"), ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("xls", "application/vnd.ms-excel"),
    ("html", "text/html"),
])
def test_type_is_sniffed_from_content_not_name(built, fmt, media_type):
    result = extract(built[fmt].read_bytes(), "misnamed.txt")
    assert result.document["source"]["media_type"] == media_type


def test_nine_tables_and_their_cells_are_evidence(built):
    result = extract(built["pdf"].read_bytes(), "a.pdf").to_dict()
    tables = result["document"]["tables"]
    assert len(tables) == 9
    f = next(f for f in result["facts"] if f["concept"] == "three_public.total" and f["phase"] == "budgeted")
    ev = f["evidence"]
    assert ev["page"] >= 1 and tables[ev["table"]]["rows"][ev["row"]][ev["col"]] == "8.00"
    text = result["document"]["text"]
    assert text[ev["start"]:ev["end"]] == ev["text"]
    prose = next(f for f in result["facts"] if f["concept"] == "institution_operating_expenses")
    assert "table" not in prose["evidence"] and prose["evidence"]["page"] >= 1


def test_table_continued_on_the_next_page_is_stitched(tmp_path, cjk_font):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle
    font = synthetic._embeddable_font()
    rows = [["科目编码", "科目名称", "合计"]] + [[f"2012{i:03d}"[:7], "行政运行", f"{i}.00"] for i in range(101, 181)]
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), font)]))
    path = tmp_path / "long.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([table])
    result = extract(path.read_bytes(), "long.pdf").to_dict()
    tables = result["document"]["tables"]
    assert len(tables) == 1 and len(tables[0]["rows"]) == 81     # one header, 80 rows over two pages


def test_traditional_characters_are_read_and_offsets_stay_in_the_original():
    text = "2021年一般公共預算財政撥款支出決算數為270萬元，佔本年支出合計的100%。"
    result = extract(text)
    f = result.facts[0]
    assert (f["concept"], f["value"], f["share"]) == ("appropriation.general_budget_expenditure", "2700000", "1")
    assert text[f["evidence"]["start"]:f["evidence"]["end"]] == f["evidence"]["text"]
    assert "撥款" in f["evidence"]["text"]


def test_html_keeps_content_and_tables_and_drops_scripts_and_navigation(built):
    result = extract(built["html"].read_bytes(), "a.html")
    text = result.document["text"]
    assert "tracker" not in text and "首页" not in text and "版权所有" not in text
    assert len(result.document["tables"]) == 9
    gbk = ('<html><head><meta charset="gbk"></head><body><div class="TRS_Editor"><p>2022年本年收入合计'
           '100万元。</p></div></body></html>').encode("gbk")
    assert extract(gbk, "a.html").facts[0]["value"] == "1000000"


def test_scanned_pdf_is_read_by_ocr_and_marked(built, tesseract, cjk_font):
    import pdfplumber
    import pypdfium2 as pdfium
    with pdfplumber.open(built["pdf"]) as pdf:
        page = next(i for i, p in enumerate(pdf.pages) if "完成预算80.63%" in (p.extract_text() or "").replace(" ", ""))
    image = pdfium.PdfDocument(str(built["pdf"]))[page].render(scale=200 / 72).to_pil().convert("L")
    scan = io.BytesIO()
    image.save(scan, format="PDF", resolution=200)
    result = extract(scan.getvalue(), "scan.pdf")
    assert result.document["source"]["ocr"] is True
    total = [f for f in result.facts if f["concept"] == "three_public.total" and f["phase"] == "executed"]
    assert total and total[0]["value"] == "64500" and total[0]["evidence"]["ocr"] is True


def test_scanned_pdf_without_tesseract_is_a_coded_error(monkeypatch, cjk_font):
    from PIL import Image
    import extractors.decode.ocr as ocr
    monkeypatch.setattr(ocr, "tesseract_available", lambda: False)
    scan = io.BytesIO()
    Image.new("L", (600, 400), 255).save(scan, format="PDF")
    with pytest.raises(ExtractionError) as e:
        extract(scan.getvalue(), "scan.pdf")
    assert e.value.error is Errors.E009


def test_legacy_doc_through_libreoffice(built, text_result, tmp_path, libreoffice):
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/p", "--convert-to", "doc",
                    "--outdir", str(tmp_path), str(built["docx"])], capture_output=True, timeout=120, check=True)
    doc = next(tmp_path.glob("*.doc"))
    result = extract(doc.read_bytes(), "a.doc")
    assert result.document["source"]["media_type"] == "application/msword"
    assert _facts(result) == _facts(text_result)


def test_legacy_doc_without_libreoffice_is_a_coded_error(monkeypatch):
    import extractors.decode.office as office
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "WordDocument".encode("utf-16-le") + b"\x00" * 512
    with pytest.raises(ExtractionError) as e:
        extract(ole, "a.doc")
    assert e.value.error is Errors.E010
