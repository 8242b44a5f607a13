"""A county portal on 127.0.0.1 in the shapes of the common 政务公开 platforms (written for these
tests; no real page is copied): a 信息公开目录 tree under openness/grassroots paths, a listing that a
script builds from a JSON endpoint, an inline page whose only wording is “三公”经费 (GBK), a notice
that names 部门预算 and amounts but discloses nothing, attachments behind a download script and a
.shtml that is a PDF, and a robots.txt Disallow. Served by tests.portal_site's handler."""
from __future__ import annotations

import json
from urllib.parse import quote

from .portal_site import render


def _page(title: str, body: str, charset: str = "utf-8") -> tuple[bytes, str]:
    html = (f"<html><head><meta charset='{charset}'><title>{title}</title></head>"
            f"<body><div class='nav'><a href='/'>首页</a></div>{body}</body></html>")
    return html.encode(charset), f"text/html; charset={charset}"


def _links(links) -> str:
    return "<ul>" + "".join(f"<li><a href='{u}'>{t}</a></li>" for t, u in links) + "</ul>"


LIST_SCRIPT = b"""
fetch('/api/xxgk/list?page=1').then(function (r) { return r.json(); }).then(function (d) {
  var ul = document.getElementById('list');
  d.data.list.forEach(function (item) {
    var li = document.createElement('li'), a = document.createElement('a');
    a.href = item.url; a.textContent = item.title; li.appendChild(a); ul.appendChild(li);
  });
});
"""


class PlatformPortal:
    """The site's files, and what a crawl must find in it."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.disclosures: list[dict] = []        # path, department, year, kind, how it is reached
        self.not_disclosures = ["/openness/grassroots/czyjs/notice.html"]
        self.disallowed = ["/private/internal.pdf"]
        f = self.files
        f["/robots.txt"] = (b"User-agent: *\nDisallow: /private/\n", "text/plain")
        f["/"] = _page("盐边县人民政府", _links([("基层政务公开", "/openness/grassroots/index.html"),
                                              ("预决算公开", "/xxgk/list.html"),
                                              ("内部资料", "/private/internal.pdf")]))
        f["/private/internal.pdf"] = render("pdf", "内部资料")
        # 信息公开目录 tree: catalogue → 财政预决算 column → items
        f["/openness/grassroots/index.html"] = _page("信息公开目录", _links([
            ("法定主动公开内容", "/openness/grassroots/fdzdgknr/index.html"),
            ("财政预决算", "/openness/grassroots/czyjs/index.html")]))
        f["/openness/grassroots/fdzdgknr/index.html"] = _page("法定主动公开内容", "<p>机构职能</p>")
        inline = ("盐边县农业农村局2021年度“三公”经费公开\n盐边县农业农村局2021年“三公”经费财政拨款支出决算为3.5万元，"
                  "其中：公务接待费1.2万元，公务用车运行维护费2.3万元。")
        f["/openness/grassroots/czyjs/t20220601_1.html"] = _page(
            "“三公”经费公开", "".join(f"<p>{line}</p>" for line in inline.splitlines()), charset="gbk")
        self._found("/openness/grassroots/czyjs/t20220601_1.html", "盐边县农业农村局", 2021, "final_accounts",
                    "inline page, GBK, only “三公”经费")
        notice = ("关于做好2024年部门预算编制工作的通知\n各单位：2024年部门预算编制工作现已启动，“三公”经费原则上只减不增，"
                  "会议费标准为每人每天400元。请于3月1日前报送。")
        f["/openness/grassroots/czyjs/notice.html"] = _page(
            "部门预算编制通知", "".join(f"<p>{line}</p>" for line in notice.splitlines()))
        water = self._text("盐边县水利局", 2023, "决算", 268.4, 3.1)
        f["/openness/grassroots/czyjs/download.jsp"] = (render("pdf", water)[0], "application/octet-stream",
                                                        {"Content-Disposition": content_disposition(
                                                            "盐边县水利局2023年部门决算.pdf")})
        self._found("/openness/grassroots/czyjs/download.jsp?id=7", "盐边县水利局", 2023, "final_accounts",
                    "attachment behind a download script")
        forest = self._text("盐边县林业局", 2023, "预算", 151.2, 2.4)
        f["/openness/grassroots/czyjs/t20230215_3.shtml"] = (render("pdf", forest)[0], "text/html; charset=utf-8")
        self._found("/openness/grassroots/czyjs/t20230215_3.shtml", "盐边县林业局", 2023, "budget",
                    "a .shtml that is a PDF")
        f["/openness/grassroots/czyjs/index.html"] = _page("财政预决算", _links([
            ("“三公”经费公开", "/openness/grassroots/czyjs/t20220601_1.html"),
            ("关于做好2024年部门预算编制工作的通知", "/openness/grassroots/czyjs/notice.html"),
            ("附件：盐边县水利局2023年部门决算.pdf", "/openness/grassroots/czyjs/download.jsp?id=7"),
            ("盐边县林业局2023年部门预算", "/openness/grassroots/czyjs/t20230215_3.shtml")]))
        # a listing built in the browser from a JSON endpoint
        f["/xxgk/list.html"] = ("<html><head><meta charset='utf-8'><title>预决算公开</title>"
                                "<script src='/js/list.js' defer></script></head><body><ul id='list'></ul></body></html>"
                                .encode("utf-8"), "text/html; charset=utf-8")
        f["/js/list.js"] = (LIST_SCRIPT, "application/javascript")
        items = []
        for n, (dept, year, word, total, three) in enumerate([("盐边县审计局", 2023, "决算", 120.5, 1.6),
                                                              ("盐边县统计局", 2024, "预算", 98.3, 0.8)], start=1):
            path = f"/xxgk/detail/{n}.html"
            f[path] = render("html", self._text(dept, year, word, total, three))
            items.append({"title": f"{dept}{year}年部门{word}", "url": path, "date": f"{year}-03-01"})
            self._found(path, dept, year, "final_accounts" if word == "决算" else "budget", "script-built listing")
        f["/api/xxgk/list"] = (json.dumps({"code": 0, "data": {"total": len(items), "list": items}},
                                          ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")
        self.download_name = "盐边县水利局2023年部门决算.pdf"

    def _found(self, path, department, year, doc_type, shape) -> None:
        self.disclosures.append({"path": path, "department": department, "year": year, "doc_type": doc_type,
                                 "shape": shape})

    @staticmethod
    def _text(dept: str, year: int, word: str, total: float, three: float) -> str:
        basic = round(total * 0.7, 2)
        return (f"{dept}{year}年部门{word}公开说明\n一、收入支出{word}总体情况\n{year}年本年支出{word}合计{total:.2f}万元，"
                f"其中：基本支出{basic:.2f}万元；项目支出{total - basic:.2f}万元。\n"
                f"二、“三公”经费情况\n{year}年“三公”经费财政拨款支出{word}为{three:.2f}万元。\n")


def content_disposition(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"
