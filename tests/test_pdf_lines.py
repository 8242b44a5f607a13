"""PDF lines rebuilt from the glyphs: a sentence whose digits are set in a smaller font a few
points below the Chinese text stays one sentence (issue 16, part 3)."""
from __future__ import annotations

import io

import pytest

from extractors import extract
from extractors.decode import decode

# (text, lowered by points): the digits in a 7-point font 4 points below the 11-point text
_SENTENCE = [("", 4, "2021"), ("年本部门“三公”经费支出决算为", 0, None), ("", 4, "63.30"),
             ("万元，比上年减少", 0, None), ("", 4, "5.20"), ("万元。", 0, None)]


def _lowered_digits_pdf(lines: int = 3) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 16)
    c.drawString(72, 780, "某县总工会2021年部门决算")
    y = 740
    for _ in range(lines):
        x = 72
        for text, drop, digits in _SENTENCE:
            size, words = (7, digits) if digits else (11, text)
            c.setFont("STSong-Light", size)
            c.drawString(x, y - drop, words)
            x += pdfmetrics.stringWidth(words, "STSong-Light", size)
        y -= 20
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return _lowered_digits_pdf()


def test_a_text_layer_clustered_by_tops_splits_the_sentence(pdf):
    """The case is real: pdfplumber's own line clustering puts the lowered digits apart."""
    import pdfplumber
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        lines = [line["text"] for line in doc.pages[0].extract_text_lines()]
    assert not any("决算为" in line and "63.30" in line for line in lines)


def test_the_digits_stay_in_their_sentence(pdf):
    lines = [line.replace(" ", "") for line in decode(pdf, "lowered.pdf").text.splitlines()]
    assert lines.count("2021年本部门“三公”经费支出决算为63.30万元，比上年减少5.20万元。") == 3
    assert not any(line in ("2021", "63.30", "5.20") for line in lines)


def test_the_sentence_is_read_with_its_year_and_change(pdf):
    result = extract(pdf, "lowered.pdf").to_dict()
    facts = [f for f in result["facts"] if f["concept"] == "three_public.total"]
    assert [(f["value"], f["fiscal_year"], f["phase"]) for f in facts] == [("633000", 2021, "executed")]
    assert facts[0]["change"]["amount"] == "52000" and facts[0]["change"]["direction"] == "decrease"
