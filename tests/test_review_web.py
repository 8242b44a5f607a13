"""An auditor's round in real headless Chromium, on real PDFs (../shared/corpus/real): open one, open
a finding's evidence and see the printed page with a box at the figure, mark it a false alarm with a
note, reload and see the review, download the report as PDF and XLSX and read them back, find the
document in the library by its department, and set two years of one department side by side."""
import io
import re

import httpx
import openpyxl
import pytest

from .test_web import SCREENSHOTS, browser, server  # noqa: F401  (this module's own Chromium and server)

# two years of one department's budget, both with findings whose evidence is printed on a page
YEARS = ("jiangsu-procuratorate-2018-department-budget.pdf", "jiangsu-procuratorate-2019-department-budget.pdf")


@pytest.fixture
def page(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    yield page
    assert errors == [], errors
    context.close()


def upload(page, path):
    page.set_input_files("#file", str(path))
    page.click("#run")
    page.wait_for_function("location.hash.startsWith('#doc=')", timeout=90000)
    page.wait_for_selector("#results:not([hidden])")
    return page.evaluate("location.hash.slice(5)")


def boxed_finding(server, sha):
    """A finding of the stored result whose first evidence is printed on a page, with its box."""
    result = httpx.get(f"{server}/v1/documents/{sha}", timeout=30).json()
    for f in result["findings"]:
        ev = next((e for e in f["evidence"] if e.get("bbox")), None)
        if ev is not None and f["evidence"][0] is ev:
            return f, ev
    pytest.fail("no finding of this real PDF has its evidence on a page")


def test_an_auditor_checks_a_real_pdf_finding_and_hands_on_the_report(page, server, shared):
    import pdfplumber
    import pypdfium2
    pdf_path = shared / "corpus" / "real" / YEARS[0]
    sha = upload(page, pdf_path)
    finding, ev = boxed_finding(server, sha)
    item = page.locator(f"#finding-{finding['id']}")
    item.locator(".open-evidence").click()
    box = page.locator("#evidence-view .ev-box.current")
    box.wait_for(timeout=30000)
    page.wait_for_function("document.querySelector('#evidence-view .page-image').complete")
    assert [float(v) for v in box.get_attribute("data-bbox").split(",")] == ev["bbox"]
    # the box stands where the PDF prints the figure: its place on the image is the bbox's on the page
    image = page.locator("#evidence-view .page-image")
    ib, bb = image.bounding_box(), box.bounding_box()
    with pdfplumber.open(pdf_path) as pdf:
        printed = pdf.pages[ev["page"] - 1]
        width, height = printed.width, printed.height
        x0, top, x1, bottom = ev["bbox"]
        inside = printed.crop((x0 - 0.5, top - 0.5, x1 + 0.5, bottom + 0.5)).extract_text() or ""
    assert abs((bb["x"] - ib["x"]) / ib["width"] - x0 / width) < 0.01
    assert abs((bb["y"] - ib["y"]) / ib["height"] - top / height) < 0.01
    assert abs(bb["width"] / ib["width"] - (x1 - x0) / width) < 0.01
    number = re.findall(r"\d[\d,]*(?:\.\d+)?", ev["text"])[-1]
    assert number.replace(",", "") in inside.replace(",", "").replace(" ", "")
    assert f"第{ev['page']}页" in page.inner_text("#evidence-view")
    for width_px, name in ((1366, "laptop"), (390, "phone")):
        page.set_viewport_size({"width": width_px, "height": 900 if width_px > 400 else 844})
        box.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"evidence-{name}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width_px + 1, "the page scrolls sideways"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("#evidence-back")
    assert page.locator("#evidence-view").is_hidden()

    # a false alarm, with a note, kept over a reload
    note = "列错位：上年数取自另一栏"
    item.locator(".review-note").fill(note)
    item.locator("[data-review=false_alarm]").click()
    page.wait_for_function(f"document.querySelector('#finding-{finding['id']} .review-state').textContent.includes('误报')")
    page.reload()
    page.wait_for_selector(f"#finding-{finding['id']} .review-state.r-false_alarm", timeout=60000)
    assert note in page.inner_text(f"#finding-{finding['id']} .review-state")
    page.select_option("#filter-review", "false_alarm")
    assert page.locator("#findings > li:visible").count() == 1
    page.select_option("#filter-review", "")

    # the report, as PDF and XLSX, read back
    with page.expect_download() as info:
        page.click("[data-download='report.pdf']")
    assert info.value.suggested_filename == "江苏省人民检察院-2018-预算-审核报告.pdf"
    report = pypdfium2.PdfDocument(open(info.value.path(), "rb").read())
    text = "".join(report[i].get_textpage().get_text_range() for i in range(len(report))).replace("\r\n", "")
    assert note in text and "误报" in text and finding["message"][:10] in text and sha in text
    with page.expect_download() as info:
        page.click("[data-download='report.xlsx']")
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert note in [c.value for row in book["核查发现"].iter_rows() for c in row]

    # a second year of the same department, then the library and the comparison
    page.click("#clear")
    second = upload(page, shared / "corpus" / "real" / YEARS[1])
    page.wait_for_selector("#compare-table:not([hidden])", timeout=30000)
    assert "2018" in page.inner_text("#compare-b") and "2019" in page.inner_text("#compare-a")
    assert page.locator("#compare-table tr.differs").count() >= 1
    page.click("#tab-library")
    page.fill("#lib-q", "检察院")
    page.click("#lib-form button[type=submit]")
    page.wait_for_selector(f"#library-table tr[data-sha='{sha}']")
    assert page.locator("#library-table tbody tr").count() == 2
    page.click(f"#library-table tr[data-sha='{sha}'] .open-doc")
    page.wait_for_function(f"location.hash === '#doc={sha}'")
    page.wait_for_selector(f"#finding-{finding['id']} .review-state.r-false_alarm")
    assert second != sha


def test_the_print_stylesheet_keeps_findings_and_drops_the_controls(page, server, shared):
    upload(page, shared / "corpus" / "real" / YEARS[1])
    page.emulate_media(media="print")
    assert page.locator("#input").is_hidden() and page.locator(".review-buttons").first.is_hidden()
    assert page.locator("#findings > li").first.is_visible()
    assert page.locator("#findings .sev").first.inner_text() in ("错误", "警告", "提示")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


HTML_TABLE = ("<html><body><h1>某县教育局2022年部门决算</h1><p>支出决算总表</p><p>单位：万元</p><table>"
              "<tr><td>项目</td><td>决算数</td></tr><tr><td>本年支出合计</td><td>300.00</td></tr>"
              "<tr><td>基本支出</td><td>185.88</td></tr><tr><td>项目支出</td><td>84.12</td></tr></table></body></html>")


def test_a_table_findings_evidence_is_the_table_with_its_cells_marked(page, tmp_path):
    path = tmp_path / "教育局决算.html"
    path.write_text(HTML_TABLE, encoding="utf-8")
    upload(page, path)
    item = page.locator("#findings > li[data-rule=sum_mismatch]").first
    item.locator(".open-evidence").click()
    page.wait_for_selector("#evidence-source table.ev-table td.hit")
    assert sorted(page.locator("#evidence-source td.hit").all_inner_texts()) == ["185.88", "300.00", "84.12"]
    assert page.locator("#findings > li[data-rule=missing_required_item] .open-evidence").count() == 0


def test_a_text_findings_evidence_is_the_passage_with_its_spans_marked(page):
    from .test_web import SAMPLE, analyse_text
    analyse_text(page, SAMPLE)
    item = page.locator("#findings > li", has_text="18.80%").first
    item.locator(".open-evidence").click()
    page.wait_for_selector("#evidence-source .passage mark")
    marked = page.locator("#evidence-source .passage mark").all_inner_texts()
    quotes = page.locator("#evidence-facts .ev-quotes q").all_inner_texts()
    # the passage around the first quote, with the finding's quotes that fall in it marked
    assert marked and marked[0] == quotes[0] and all(m in SAMPLE and any(m in q for q in quotes) for m in marked)
