"""The web page in real headless Chromium (Debian's chromium, driven by Playwright)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CORPUS, ROOT, require, start_server

SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SAMPLE = (CORPUS / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {**os.environ, "FISCAL_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('web')}/web.db"}
    proc, base = start_server(env)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    require(bool(CHROMIUM), "Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.requests_seen = []
    page.on("request", lambda r: page.requests_seen.append(r.url))
    page.goto(server + "/")
    yield page
    outside = [u for u in page.requests_seen if not u.startswith(server) and not u.startswith(("data:", "blob:"))]
    assert outside == [], f"the page reached outside the server: {outside}"
    context.close()


def analyse_text(page, text):
    page.fill("#text", text)
    page.click("#run")
    page.wait_for_selector("#results:not([hidden])", timeout=30000)


def test_paste_sample_shows_findings_first_and_annotated_text(page):
    analyse_text(page, SAMPLE)
    findings = page.locator("#findings li")
    assert findings.count() >= 5
    first = findings.first.inner_text()
    assert "错误" in first                                    # errors come first
    text = page.locator("#findings").inner_text()
    assert "18.80%" in text and "20.13%" in text and "重复列示" in text
    assert page.locator("#summary").inner_text().count("盐边县总工会") == 1
    assert page.locator("#facts-table tbody tr").count() >= 25
    assert page.locator("#items-table tbody tr").count() >= 19
    assert page.locator("#chart-classes svg rect").count() == 5
    assert page.locator("#checklist li.yes").count() == 14
    assert page.locator("#doc-text mark.money").count() > 50


def test_following_a_finding_reaches_its_highlighted_figure(page):
    analyse_text(page, SAMPLE)
    link = page.locator("#findings li", has_text="18.80%").locator("a").first
    target = link.get_attribute("data-target")
    link.click()
    mark = page.locator(f"#{target}")
    assert "flash" in mark.get_attribute("class")
    assert page.evaluate("document.activeElement.id") == target
    assert mark.inner_text() in SAMPLE


def test_hover_and_keyboard_focus_show_the_normalized_value(page):
    analyse_text(page, SAMPLE)
    mark = page.locator("#doc-text mark.money", has_text="185.88万元").first
    assert "1,858,800 元" in mark.get_attribute("data-tip")
    page.keyboard.press("Tab")
    mark.focus()
    assert page.evaluate("getComputedStyle(document.activeElement, '::after').content").find("1,858,800") >= 0


@pytest.mark.parametrize("name", ["renhe-natural-resources-2022-synthetic.pdf", "renhe-natural-resources-2022-synthetic.docx"])
def test_upload_pdf_and_docx(page, name):
    page.set_input_files("#file", str(CORPUS / name))
    assert name in page.inner_text("#file-name")
    page.click("#run")
    page.wait_for_selector("#results:not([hidden])", timeout=60000)
    assert "仁和区自然资源局" in page.inner_text("#summary")
    # 16 lines, of which the 4 classes stand in the 收入支出决算总表 (all funds) and again in the
    # 一般公共预算 table: lines of two scopes are two rows (CONTRACT v1.1)
    assert page.locator("#items-table tbody tr").count() == 20
    assert "一般公共预算" in page.inner_text("#items-table") and "全部资金" in page.inner_text("#items-table")
    if name.endswith(".pdf"):
        assert "第" in page.locator("#facts-table tbody tr").first.inner_text()     # page of the evidence


def test_download_csv(page):
    analyse_text(page, SAMPLE)
    with page.expect_download() as info:
        page.click("[data-download=csv]")
    path = info.value.path()
    content = Path(path).read_bytes().decode("utf-8-sig")
    assert content.startswith("concept,label,value") and "基本支出,1858800" in content


def test_bad_file_shows_an_error_in_plain_chinese(page, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 this is not really a pdf")
    page.set_input_files("#file", str(bad))
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    message = page.inner_text("#error")
    assert "文件已损坏" in message and "E006" in message


def test_screenshots_at_laptop_and_phone_widths(browser, server):
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, viewport in (("laptop", {"width": 1366, "height": 900}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=name == "phone")
        page = context.new_page()
        page.goto(server + "/")
        analyse_text(page, SAMPLE)
        page.screenshot(path=str(SCREENSHOTS / f"result-{name}.png"), full_page=False)
        page.locator("#findings-title").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"findings-{name}.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, "the page scrolls sideways"
        context.close()
        assert (SCREENSHOTS / f"result-{name}.png").stat().st_size > 10_000


def test_page_asks_for_a_key_when_keys_exist(browser, tmp_path):
    env = {**os.environ, "FISCAL_DATABASE_URL": f"sqlite:///{tmp_path}/keys.db"}
    key = subprocess.run([sys.executable, "-m", "service.cli", "keys", "create", "web"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    proc, base = start_server(env)
    try:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_selector("#key-row:not([hidden])")
        page.fill("#text", "2021年本年支出合计270万元。")
        page.click("#run")
        page.wait_for_selector("#error:not([hidden])")
        assert "E011" in page.inner_text("#error")
        page.fill("#api-key", key)
        page.click("#run")
        page.wait_for_selector("#results:not([hidden])")
        assert page.evaluate("sessionStorage.getItem('fiscal-key')") == key
        assert page.evaluate("localStorage.length") == 0
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("path,ready", [("/docs", ".swagger-ui .opblock"), ("/redoc", "h1:has-text('fiscal-extract')")])
def test_the_api_documentation_renders_with_the_network_blocked(browser, server, path, ready):
    """/docs and /redoc from the package's assets: every request outside the server is refused, and
    none is even tried."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    outside = []

    def guard(route):
        if route.request.url.startswith(server):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()
    context.route("**/*", guard)
    page = context.new_page()
    refused = []                  # what the page's Content-Security-Policy kept it from asking for
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(server + path)
    page.wait_for_selector(ready, timeout=30000)
    assert "fiscal-extract" in page.title()
    text = page.inner_text("body")
    assert "/v1/extract" in text and "/v1/batches" in text
    assert outside == [], f"the documentation reached outside the server: {outside}"
    assert all("'self'" in r for r in refused), refused
    context.close()
