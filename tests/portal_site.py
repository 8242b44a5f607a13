"""A generated county portal on 127.0.0.1 for the crawler tests and the crawl benchmark.

40 departments × 2 years × (预算, 决算) on paginated listings, detail pages, attachments in
several formats, and the faults of real portals: 404 and 500 pages, a truncated download, a slow
response, a wrong Content-Type, GBK-encoded HTML, a robots.txt Disallow, a redirect loop, links
to other domains, and one PDF reached through two URLs. It counts the requests it receives and
answers If-None-Match with 304.
"""
from __future__ import annotations

import hashlib
import io
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEPARTMENTS = [f"{name}" for name in (
    "财政局 教育局 卫生健康局 民政局 公安局 司法局 审计局 统计局 农业农村局 水利局 交通运输局 住房和城乡建设局 自然资源局 "
    "生态环境局 商务局 文化广播电视和旅游局 人力资源和社会保障局 应急管理局 市场监督管理局 林业局 档案馆 总工会 妇女联合会 "
    "残疾人联合会 科学技术协会 退役军人事务局 医疗保障局 信访局 机关事务管理局 发展和改革局 经济信息化和科技局 供销合作社 "
    "融媒体中心 疾病预防控制中心 人民法院 人民检察院 政务服务管理局 乡村振兴局 气象局 地震局").split()]
COUNTY = "盐边县"
YEARS = (2022, 2023)
KINDS = (("budget", "部门预算"), ("final", "部门决算"))
FORMATS = ("pdf", "docx", "xlsx", "txt", "html")
PER_PAGE = 12


def disclosure_text(i: int, dept: str, year: int, kind: str) -> str:
    total = 100 + i * 7 + year % 10
    basic = round(total * 0.6, 2)
    project = round(total - basic, 2)
    word = "预算" if kind == "budget" else "决算"
    return (f"{COUNTY}{dept}{year}年{'部门预算' if kind == 'budget' else '部门决算'}公开说明\n"
            f"一、收入支出{word}总体情况说明\n{year}年本年支出{word}合计{total:.2f}万元，其中：基本支出{basic:.2f}万元；"
            f"项目支出{project:.2f}万元。\n二、“三公”经费情况说明\n{year}年“三公”经费财政拨款支出{word}为{(i % 5) + 1:.2f}万元。\n")


def render(fmt: str, text: str) -> tuple[bytes, str]:
    if fmt == "txt":
        return text.encode("utf-8"), "text/plain; charset=utf-8"
    if fmt == "html":
        body = "".join(f"<p>{line}</p>" for line in text.splitlines())
        return (f"<html><head><meta charset='utf-8'></head><body><div class='TRS_Editor'>{body}</div></body></html>"
                .encode("utf-8"), "text/html; charset=utf-8")
    if fmt == "docx":
        import docx
        d = docx.Document()
        for line in text.splitlines():
            d.add_paragraph(line)
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if fmt == "xlsx":
        import openpyxl
        book = openpyxl.Workbook()
        for line in text.splitlines():
            book.active.append([line])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 10)
    y = 800
    for line in text.splitlines():
        c.drawString(40, y, line)
        y -= 16
    c.save()
    return buf.getvalue(), "application/pdf"


class Portal:
    """The site's pages and files in memory, built once."""

    def __init__(self, departments: int = 40) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.disclosures: list[dict] = []
        details = []
        i = 0
        for d, dept in enumerate(DEPARTMENTS[:departments]):
            for year in YEARS:
                for kind, title in KINDS:
                    fmt = FORMATS[i % len(FORMATS)]
                    text = disclosure_text(i, dept, year, kind)
                    detail = f"/yjs/detail/{i}.html"
                    if fmt == "html":          # the disclosure is the detail page itself
                        self.files[detail] = render("html", text)
                        url = detail
                    else:
                        url = f"/files/{i}.{fmt}"
                        self.files[url] = render(fmt, text)
                        self.files[detail] = self._detail(f"{COUNTY}{dept}{year}年{title}", url)
                    self.disclosures.append({"path": url, "department": f"{COUNTY}{dept}", "year": year, "kind": kind})
                    details.append((f"{COUNTY}{dept}{year}年{title}", detail))
                    i += 1
        # one PDF reached through two URLs
        first_pdf = next(d["path"] for d in self.disclosures if d["path"].endswith(".pdf"))
        self.files["/mirror/copy.pdf"] = self.files[first_pdf]
        self.duplicate = ("/mirror/copy.pdf", first_pdf)
        faults = [("已删除的部门预算公开", "/yjs/detail/missing.html"), ("部门决算公开（服务器错误）", "/yjs/broken.html"),
                  ("部门决算附件（截断）", "/files/truncated.pdf"), ("部门预算附件（很慢）", "/files/slow.pdf"),
                  ("内部预算文件", "/private/secret.pdf"), ("预决算公开专栏（跳转）", "/loop/a"),
                  ("上级财政预决算公开", "http://other-domain.invalid/yjs/index.html"), ("部门预算（镜像）", "/mirror/copy.pdf")]
        # a real PDF served as text/html
        wrong = f"/files/{len(self.disclosures)}.pdf"
        text = disclosure_text(999, "政务服务管理局", 2023, "final").replace("政务服务管理局", "行政审批局")
        self.files[wrong] = (render("pdf", text)[0], "text/html")
        self.disclosures.append({"path": wrong, "department": f"{COUNTY}行政审批局", "year": 2023, "kind": "final"})
        faults.append(("错误类型的附件", wrong))
        pages = [details[k:k + PER_PAGE] for k in range(0, len(details), PER_PAGE)]
        for n, chunk in enumerate(pages):
            name = "/yjs/index.html" if n == 0 else f"/yjs/index_{n + 1}.html"
            nxt = f"index_{n + 2}.html" if n + 1 < len(pages) else None
            extra = faults if n == 0 else []
            gbk = n == 1                                   # one listing page in GBK
            self.files[name] = self._listing(chunk + extra, nxt, gbk)
        self.files["/robots.txt"] = (b"User-agent: *\nDisallow: /private/\n", "text/plain")
        self.files["/"] = self._listing([("财政预决算公开", "/yjs/index.html")], None, False)

    @staticmethod
    def _detail(title: str, url: str) -> tuple[bytes, str]:
        html = f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>" \
               f"<p>附件：<a href='{url}'>{title}</a></p></body></html>"
        return html.encode("utf-8"), "text/html; charset=utf-8"

    @staticmethod
    def _listing(links, nxt, gbk: bool) -> tuple[bytes, str]:
        charset = "gbk" if gbk else "utf-8"
        items = "".join(f"<li><a href='{u}'>{t}</a></li>" for t, u in links)
        more = f"<a href='{nxt}'>下一页</a>" if nxt else ""
        html = (f"<html><head><meta charset='{charset}'><title>预决算公开</title></head><body>"
                f"<div class='nav'><a href='/'>首页</a></div><ul>{items}</ul>{more}</body></html>")
        return html.encode(charset), f"text/html; charset={charset}"


class Handler(BaseHTTPRequestHandler):
    portal: Portal
    counts: Counter
    conditional: Counter
    slow_seconds = 3.0

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        self.counts[path] += 1
        if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
            self.conditional[path] += 1
        if path == "/away":             # a seed that sends the crawler to another site
            self._send(302, b"", "text/plain", {"Location": "http://other-domain.invalid/yjs/index.html"})
            return
        if path.startswith("/loop/"):
            self._send(302, b"", "text/plain", {"Location": "/loop/b" if path == "/loop/a" else "/loop/a"})
            return
        if path == "/yjs/broken.html":
            self._send(500, b"server error", "text/plain")
            return
        if path == "/files/truncated.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"%PDF-1.4\n" + b"x" * 1000)
            self.wfile.flush()
            self.close_connection = True
            return
        if path == "/files/slow.pdf":
            time.sleep(self.slow_seconds)
            self._send(200, b"%PDF-1.4 slow", "application/pdf")
            return
        found = self.portal.files.get(path)
        if found is None:
            self._send(404, b"not found", "text/plain")
            return
        body, ctype, *more = found                  # (body, Content-Type[, more headers])
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, {"ETag": etag})
            return
        self._send(200, body, ctype, {"ETag": etag, "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT",
                                      **(more[0] if more else {})})

    def _send(self, status, body, ctype, headers=None):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass          # clients that give up on the slow page reset the connection; that is expected


class PortalServer:
    def __init__(self, portal: Portal | None = None, port: int = 0) -> None:
        self.portal = portal or Portal()
        self.counts, self.conditional = Counter(), Counter()
        handler = type("H", (Handler,), {"portal": self.portal, "counts": self.counts, "conditional": self.conditional})
        self.httpd = QuietServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def slow_seconds(self) -> float:
        return self.httpd.RequestHandlerClass.slow_seconds

    @slow_seconds.setter
    def slow_seconds(self, seconds: float) -> None:
        self.httpd.RequestHandlerClass.slow_seconds = seconds

    def reset_counts(self):
        self.counts.clear()
        self.conditional.clear()


if __name__ == "__main__":        # python -m tests.portal_site: serve it for a look
    with PortalServer(port=8765) as server:
        print(server.url, len(server.portal.disclosures), "disclosures")
        threading.Event().wait()
