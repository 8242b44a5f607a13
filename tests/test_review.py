"""Evidence a person can check: boxes on PDF pages, finding ids, reviews kept in the store, the
checks run, the library, comparison, page images, exports with evidence and the audit report."""
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient

from extractors import extract
from extractors.rule_status import catalogue

from .conftest import CORPUS

SAMPLE = CORPUS / "yanbian-union-2021-final-accounts.txt"
SYNTHETIC_PDF = CORPUS / "renhe-natural-resources-2022-synthetic.pdf"


pytestmark = pytest.mark.usefixtures("fresh_stores")


def _digits(text: str) -> str:
    return re.sub(r"[^\d.]", "", text)


# ---------------------------------------------------------------- boxes on PDF pages
def test_every_pdf_figure_has_a_box_that_holds_its_printed_digits():
    import pdfplumber
    result = extract(SYNTHETIC_PDF.read_bytes(), SYNTHETIC_PDF.name).to_dict()
    rows = result["facts"] + result["line_items"]
    assert rows and all("bbox" in r["evidence"] and r["evidence"]["page"] >= 1 for r in rows)
    with pdfplumber.open(SYNTHETIC_PDF) as pdf:
        for r in rows:
            ev = r["evidence"]
            x0, top, x1, bottom = ev["bbox"]
            page = pdf.pages[ev["page"] - 1]
            assert 0 <= x0 < x1 <= page.width and 0 <= top < bottom <= page.height
            printed = page.crop((x0 - 0.5, top - 0.5, x1 + 0.5, bottom + 0.5)).extract_text() or ""
            numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", ev["text"])
            if numbers:
                assert _digits(numbers[-1]) in _digits(printed), (ev, printed)
            else:                          # a figure in words (无, 零): its last characters are printed there
                assert ev["text"].split()[-1][-2:] in printed.replace(" ", ""), (ev, printed)


def test_a_span_inside_a_line_has_the_box_of_its_own_characters():
    from array import array
    from extractors.geometry import Geometry
    g = Geometry()
    g.line(10, 3, 100.0, 112.0, array("d", [50, 60, 60, 70, 70, 80, 80, 90]))     # four characters at 10..14
    g.cell(20, 25, 4, (10.0, 20.0, 60.0, 30.0))
    assert g.box(11, 13) == (3, [60.0, 100.0, 80.0, 112.0])
    assert g.box(21, 22) == (4, [10.0, 20.0, 60.0, 30.0])        # part of a cell: the cell
    assert g.box(0, 5) is None                                   # text the decoder made
    assert g.box(12, 24)[0] == 3                                 # across pages: the first page's box


def test_text_documents_carry_no_boxes():
    result = extract(SAMPLE.read_text(encoding="utf-8")).to_dict()
    assert not any("bbox" in r["evidence"] for r in result["facts"])


# ---------------------------------------------------------------- finding ids and checks
def test_finding_ids_are_stable_and_distinct():
    text = SAMPLE.read_text(encoding="utf-8")
    first, again = extract(text).to_dict(), extract(text).to_dict()
    ids = [f["id"] for f in first["findings"]]
    assert ids == [f["id"] for f in again["findings"]] and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{16}(-\d+)?", i) for i in ids)


def test_each_rule_of_the_catalogue_has_a_status_and_every_raised_rule_is_in_it():
    known = {r["id"] for r in catalogue()}
    for path in (SAMPLE, SYNTHETIC_PDF):
        result = extract(path.read_bytes(), path.name).to_dict()
        assert {c["rule"] for c in result["checks"]} == known
        assert {f["rule"] for f in result["findings"]} <= known
        for c in result["checks"]:
            raised = sum(f["rule"] == c["rule"] for f in result["findings"])
            assert c["findings"] == raised and (c["status"] == "failed") == (raised > 0)
            if c["status"] in ("not_applicable", "skipped"):
                assert c["reason"]


def test_a_document_of_unknown_type_skips_the_checklist_and_says_why():
    result = extract("本单位2021年“三公”经费支出12.6万元，其中公务接待费3万元。").to_dict()
    checks = {c["rule"]: c for c in result["checks"]}
    assert checks["missing_required_item"]["status"] in ("skipped", "not_applicable")
    assert checks["missing_required_item"]["reason"]
    assert checks["sum_mismatch"]["status"] in ("passed", "failed")       # a total and a part


def test_messages_write_amounts_with_thousands_separators():
    from extractors.checks import thousands, wan
    assert wan("10944200") == "1,094.42" and wan("-12345678900") == "-1,234,567.89" and thousands("12") == "12"


# ---------------------------------------------------------------- the service
@pytest.fixture
def client(tmp_path):
    from service.app import create_app
    from service.settings import Settings
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/r.db", log_json=False))
    with TestClient(app) as c:
        yield c


def _upload(client, path, data=None):
    r = client.post("/v1/extract", files={"file": (path.name, data or path.read_bytes())})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_review_is_kept_with_the_document_and_cleared(client):
    result = _upload(client, SAMPLE)
    sha, finding = result["document"]["sha256"], result["findings"][0]
    url = f"/v1/documents/{sha}/findings/{finding['id']}"
    r = client.patch(url, json={"state": "false_alarm", "note": "两处口径不同", "by": "审计员甲"})
    assert r.status_code == 200 and r.json()["finding"]["review"]["state"] == "false_alarm"
    stored = client.get(f"/v1/documents/{sha}").json()
    review = next(f for f in stored["findings"] if f["id"] == finding["id"])["review"]
    assert review["note"] == "两处口径不同" and review["by"] == "审计员甲" and review["at"].endswith("+00:00")
    assert all("review" not in f for f in stored["findings"] if f["id"] != finding["id"])
    assert client.patch(url, json={"state": None}).json()["finding"].get("review") is None
    assert all("review" not in f for f in client.get(f"/v1/documents/{sha}").json()["findings"])


def test_a_review_of_an_unknown_finding_or_state_is_refused(client):
    sha = _upload(client, SAMPLE)["document"]["sha256"]
    assert client.patch(f"/v1/documents/{sha}/findings/0123456789abcdef", json={"state": "confirmed"}).json()["code"] == "E007"
    fid = client.get(f"/v1/documents/{sha}").json()["findings"][0]["id"]
    assert client.patch(f"/v1/documents/{sha}/findings/{fid}", json={"state": "maybe"}).json()["code"] == "E005"
    assert client.patch(f"/v1/documents/{'0' * 64}/findings/{fid}", json={"state": "ignored"}).json()["code"] == "E007"


def test_exports_carry_evidence_review_and_chinese_headers(client):
    result = _upload(client, SAMPLE)
    sha, finding = result["document"]["sha256"], result["findings"][0]
    client.patch(f"/v1/documents/{sha}/findings/{finding['id']}", json={"state": "confirmed", "note": "已核实"})
    r = client.get(f"/v1/documents/{sha}/findings.xlsx")
    assert "盐边县总工会-2021-决算-findings.xlsx" in r.headers["content-disposition"].replace("%", "") or \
        "filename*=UTF-8''%E7%9B%90" in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[1]]
    assert {"严重程度", "说明", "原文", "页码", "报表", "复核状态", "复核意见", "文件", "部门"} <= set(header)
    assert sheet.freeze_panes == "A2"
    row = [c.value for c in sheet[2]]
    assert row[header.index("复核状态")] == "已确认" and row[header.index("复核意见")] == "已核实"
    assert row[header.index("部门")] == "盐边县总工会"
    facts = openpyxl.load_workbook(io.BytesIO(client.get(f"/v1/documents/{sha}/facts.xlsx").content)).active
    fh = [c.value for c in facts[1]]
    years = {r[fh.index("年度")].value for r in facts.iter_rows(min_row=2)}
    assert years and all(isinstance(y, int) for y in years if y is not None)
    wan_cells = [r[fh.index("金额（万元）")] for r in facts.iter_rows(min_row=2) if r[fh.index("金额（万元）")].value is not None]
    assert wan_cells and all(c.number_format == "#,##0.00" for c in wan_cells)
    counts = [r for r in facts.iter_rows(min_row=2) if r[fh.index("单位")].value == "人"]
    assert counts and all(r[fh.index("金额（元）")].value is None and r[fh.index("数量")].value for r in counts)
    for table in ("indicators", "checklist", "checks"):
        csv_text = client.get(f"/v1/documents/{sha}/{table}.csv").content.decode("utf-8-sig")
        assert len(csv_text.splitlines()) >= 2
    assert "confirmed" in client.get(f"/v1/documents/{sha}/findings.csv").content.decode("utf-8-sig")


def test_the_audit_report_reads_back(client):
    import pypdfium2
    result = _upload(client, SAMPLE)
    sha, finding = result["document"]["sha256"], result["findings"][0]
    client.patch(f"/v1/documents/{sha}/findings/{finding['id']}", json={"state": "false_alarm", "note": "口径不同不是错"})
    pdf = client.get(f"/v1/documents/{sha}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    doc = pypdfium2.PdfDocument(pdf.content)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).replace("\r", "").replace("\n", "")
    assert "盐边县总工会" in text and sha in text and "口径不同不是错" in text and "误报" in text
    assert finding["message"][:12] in text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/v1/documents/{sha}/report.xlsx").content))
    assert {"概况", "核查发现", "核查规则", "公开内容", "财政指标", "支出科目"} <= set(book.sheetnames)
    meta = {r[0].value: r[1].value for r in book["概况"].iter_rows(min_row=2)}
    assert meta["部门"] == "盐边县总工会" and meta["SHA-256"] == sha and meta["年度"] == "2021"
    values = [c.value for r in book["核查发现"].iter_rows() for c in r]
    assert "误报" in values and "口径不同不是错" in values


def test_the_library_finds_documents_and_sets_two_years_side_by_side(client):
    text = SAMPLE.read_text(encoding="utf-8")
    older = text.replace("2021", "2020").replace("195.8万元", "180.5万元")
    a = _upload(client, SAMPLE)["document"]["sha256"]
    b = client.post("/v1/extract", files={"file": ("盐边县总工会2020年决算.txt", older.encode())}).json()["document"]["sha256"]
    page = client.get("/v1/documents", params={"q": "总工会"}).json()
    assert page["total"] == 2 and {i["sha256"] for i in page["items"]} == {a, b}
    item = next(i for i in page["items"] if i["sha256"] == a)
    assert item["findings"]["error"] >= 1 and item["filename"] == SAMPLE.name
    assert client.get("/v1/documents", params={"q": "总工会", "year": 2020}).json()["total"] == 1
    assert client.get("/v1/documents", params={"q": "教育局"}).json()["total"] == 0
    related = client.get(f"/v1/documents/{a}/related").json()["items"]
    assert [r["sha256"] for r in related] == [b]
    body = client.get(f"/v1/documents/{a}/compare/{b}").json()
    assert body["a"]["fiscal_year"] == 2021 and body["b"]["fiscal_year"] == 2020
    row = next(r for r in body["rows"] if r["kind"] == "class" and r["key"].startswith("一般公共服务"))
    assert (row["a"], row["b"], row["difference"], row["differs"]) == ("1958000", "1805000", "153000", True)
    assert body["differences"] >= 1


def test_the_stored_result_reopens_with_its_text(client):
    result = _upload(client, SAMPLE)
    sha = result["document"]["sha256"]
    assert "text" not in client.get(f"/v1/documents/{sha}").json()["document"]
    assert client.get(f"/v1/documents/{sha}", params={"include_text": "true"}).json()["document"]["text"] == \
        result["document"]["text"]


def test_a_pdf_page_renders_and_a_text_document_has_none(client):
    from PIL import Image
    result = _upload(client, SYNTHETIC_PDF)
    sha = result["document"]["sha256"]
    r = client.get(f"/v1/documents/{sha}/pages/1.png", params={"scale": 2})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    width_pt = float(r.headers["x-page-width"])
    assert abs(image.width - width_pt * float(r.headers["x-page-scale"])) <= 1
    assert client.get(f"/v1/documents/{sha}/pages/99.png").json()["code"] == "E007"
    text_sha = _upload(client, SAMPLE)["document"]["sha256"]
    assert client.get(f"/v1/documents/{text_sha}/pages/1.png").json()["code"] == "E003"


# ---------------------------------------------------------------- progress of long work
def test_a_pdf_reports_its_pages_as_they_are_read():
    heard = []
    result = extract(SYNTHETIC_PDF.read_bytes(), SYNTHETIC_PDF.name, progress=lambda d, t: heard.append((d, t)))
    pages = result.document["source"]["pages"]
    assert heard[-1] == (pages, pages) and all(t == pages for _, t in heard)
    assert [d for d, _ in heard] == sorted(d for d, _ in heard) and heard[0][0] <= 1


def test_a_batch_shows_each_pdfs_pages_done(client):
    from .conftest import batch_done
    r = client.post("/v1/batches", files=[("files", (SYNTHETIC_PDF.name, SYNTHETIC_PDF.read_bytes())),
                                          ("files", (SAMPLE.name, SAMPLE.read_bytes()))])
    assert r.status_code == 202
    status = batch_done(client, r.json()["id"], 120)
    pdf, text = status["items"]
    pages = client.get(f"/v1/documents/{pdf['sha256']}").json()["document"]["source"]["pages"]
    assert pdf["status"] == "done" and pdf["pages_done"] == pdf["pages_total"] == pages
    assert text["pages_total"] is None


def test_every_new_route_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/v1/documents", "get"), ("/v1/documents/{sha256}/findings/{finding_id}", "patch"),
                         ("/v1/documents/{sha256}/pages/{page}.png", "get"), ("/v1/documents/{sha256}/related", "get"),
                         ("/v1/documents/{sha256}/compare/{other}", "get"), ("/v1/documents/{sha256}/report.{fmt}", "get")):
        assert method in paths[path], path


def test_reviews_and_the_library_columns_are_kept_in_sqlite_and_postgresql(store_url):
    from extractors import __version__
    from service.store import get_store
    from service.store.models import Extraction
    store = get_store(store_url)
    data = SAMPLE.read_bytes()
    result = extract(data, SAMPLE.name).to_dict(include_text=False)
    fid = result["findings"][0]["id"]
    with store.session.begin() as s:
        sha = store.put_document(s, data, "text/plain", SAMPLE.name)
        store.put_extraction(s, sha, __version__, result, None)
        store.put_review(s, sha, fid, __version__, "ignored", "次要", "甲")
    with store.session.begin() as s:
        store.put_review(s, sha, fid, __version__, "confirmed", "已核实", "乙")      # changed, not added
    with store.session() as s:
        assert store.reviews(s, sha)[fid] | {"at": None} == {"state": "confirmed", "note": "已核实", "by": "乙", "at": None}
        row = store.latest_extraction(s, sha)
        errors = sum(f["severity"] == "error" for f in result["findings"])
        assert isinstance(row, Extraction) and (row.filename, row.pages, row.severity_counts["error"]) == (SAMPLE.name, None, errors)


def test_a_pool_process_hands_its_progress_to_the_store_owner_and_never_opens_the_store(store_url):
    """A forked pool process must not write to SQLite (its locks are per process: a child's write
    can wait for ever); its figures go through a pipe to the process that owns the store."""
    import time
    from extractors import __version__
    from service import tasks
    from service.progress import PageProgress
    from service.store import get_store
    from service.store.models import ExtractionTask
    from service.worker import GuardedExtraction
    store = get_store(store_url)
    data = SYNTHETIC_PDF.read_bytes()
    with store.session.begin() as s:
        sha = store.put_document(s, data, "application/pdf", SYNTHETIC_PDF.name)
        tasks.ask(s, sha, __version__)
    extraction = GuardedExtraction(1, 60, 2048)
    try:
        started = time.time()
        with store.session.begin() as s:              # a write transaction held open meanwhile
            s.execute(__import__("sqlalchemy").text("update documents set filename = filename"))
            result, error = extraction(data, SYNTHETIC_PDF.name, None, include_text=False,
                                       progress=PageProgress(store_url, sha, __version__))
        assert error is None and time.time() - started < 8     # the pool process waited for no lock
        pages = result["document"]["source"]["pages"]
        deadline = time.time() + 10
        while time.time() < deadline:
            with store.session() as s:
                row = s.get(ExtractionTask, (sha, __version__))
                if row.pages_done == pages:
                    break
            time.sleep(0.05)
        assert (row.pages_done, row.pages_total) == (pages, pages)
    finally:
        extraction.close()
