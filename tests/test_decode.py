"""Decoding by content: encodings and types sniffed from the bytes."""
import codecs

import pytest

from extractors import Errors, ExtractionError
from extractors.decode import decode, sniff
from extractors.normalize import normalize

TEXT = "盐边县总工会2021年本年收入合计227.48万元，占100%。"


@pytest.mark.parametrize("data,encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
])
def test_text_encodings(data, encoding):
    decoded = decode(data, "x.txt")
    assert decoded.text == TEXT
    assert decoded.encoding.replace("_", "-").lower().startswith(encoding.split("-")[0])


@pytest.mark.parametrize("data,kind", [
    (b"%PDF-1.7", "pdf"), (b"PK\x03\x04rest", "damaged zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1", "ole2 (doc/xls)"),
    (b"\x89PNG\r\n", "image"), ("正文".encode(), "text"), (b"<!DOCTYPE html><html>", "html"),
    (b"\x1f\x8b\x08", "archive"),
])
def test_sniff_by_content_not_name(data, kind):
    assert sniff(data, "misleading.txt") == kind


def test_empty_and_undecodable():
    with pytest.raises(ExtractionError) as e:
        decode(b"", "x.txt")
    assert e.value.error is Errors.E001
    with pytest.raises(ExtractionError) as e:
        decode(b"\x00\x01\x02\xff\xfe\x00" * 100, "x.txt")
    assert e.value.error is Errors.E002


@pytest.mark.parametrize("original,normalized", [
    ("支\n出决算", "支出决算"),
    ("1.05 万\n元", "1.05万元"),
    ("江 苏 省 人 民", "江苏省人民"),
    ("“三公”经费", "三公经费"),
    ("（境）：１２％", "(境):12%"),
    ("增长 10.06 %", "增长10.06%"),
    ("名词解释\n\n一般", "名词解释\n\n一般"),
    ("185.88\n84.12", "185.88\n84.12"),
    ("项目支出，占", "项目支出，占"),
])
def test_normalization_and_offset_map(original, normalized):
    norm = normalize(original)
    assert norm.text == normalized
    for i in range(len(norm.text)):
        s, e = norm.span(i, i + 1)
        assert original[s:e].translate({0xFF08: "(", 0xFF09: ")", 0xFF1A: ":", 0xFF05: "%", 0xFF11: "1", 0xFF12: "2"}) \
            == norm.text[i]
