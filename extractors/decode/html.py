"""HTML: the main content without navigation, scripts or styles; <table>s kept as tables."""
from __future__ import annotations

import functools
import re

import yaml

from ..errors import Errors, ExtractionError
from ..lexicon import LEXICON_DIR
from ..tables import TextBuilder
from . import Decoded
from .text import decode_text

_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
          "header", "footer", "ul", "ol", "dd", "dt", "blockquote", "pre", "center", "font"}


@functools.lru_cache(maxsize=1)
def _rules() -> dict:
    with open(LEXICON_DIR / "html.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def decode_html(data: bytes) -> Decoded:
    import lxml.html
    from lxml import etree
    text, encoding = decode_text(_declared(data))
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise ExtractionError(Errors.E006, f"the HTML cannot be parsed ({e})") from None
    if any("depth" in str(err).lower() for err in parser.error_log):
        raise ExtractionError(Errors.E006, "the HTML is nested deeper than 256 levels; its content would be lost")
    rules = _rules()
    for el in root.xpath("//" + " | //".join(rules["drop_tags"])):
        el.drop_tree()
    boiler = re.compile(rules["boilerplate"], re.I)
    for el in root.xpath("//*[@id or @class]"):
        if el.getparent() is not None and boiler.search(f"{el.get('id', '')} {el.get('class', '')}") \
                and not el.xpath(".//table"):
            el.drop_tree()
    main = _main(root, re.compile(rules["content"], re.I))
    builder = TextBuilder()
    _walk(main, builder, etree)
    title = root.findtext(".//title")
    return Decoded(builder.text(), "text/html", encoding, tables=builder.tables,
                   meta={"title": title.strip() if title else None})


def _declared(data: bytes) -> bytes:
    """Honour <meta charset=gbk> by re-encoding to UTF-8 before detection."""
    head = data[:2048].lower()
    m = re.search(rb"charset=[\"']?([a-z0-9_-]+)", head)
    if m:
        name = m.group(1).decode()
        try:
            return data.decode("gb18030" if name in ("gb2312", "gbk") else name).encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            pass
    return data


def _main(root, content):
    """The content container a portal marks (TRS_Editor, zoom, article …), else <body>."""
    for el in root.iter():
        if isinstance(el.tag, str) and content.search(f"{el.get('id', '')} {el.get('class', '')}"):
            return el
    body = root.find("body")
    return body if body is not None else root


def _walk(root, builder: TextBuilder, etree) -> None:
    line: list[str] = []

    def flush():
        builder.paragraph("".join(line).strip())
        line.clear()

    context = etree.iterwalk(root, events=("start", "end"))
    for action, el in context:
        tag = el.tag if isinstance(el.tag, str) else ""
        if action == "start":
            if tag == "table":
                flush()
                builder.table(_rows(el), source="html")
                context.skip_subtree()
                continue
            if tag in _BLOCK:
                flush()
            if el.text and tag not in ("script", "style"):
                line.append(el.text)
        else:
            if tag in _BLOCK:
                flush()
            if el.tail and el is not root:
                line.append(el.tail)
    flush()


def _rows(table) -> list[list[str]]:
    rows = []
    for tr in table.iter("tr"):
        if tr.xpath("ancestor::table[1]")[0] is not table:
            continue
        row = []
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            text = " ".join(t.strip() for t in cell.itertext() if t.strip())
            span = min(int(cell.get("colspan", "1") or 1), 50) if str(cell.get("colspan", "1")).isdigit() else 1
            row += [text] + [""] * (span - 1)
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
