"""Programme outputs stated in the narrative: 开展生活救助74人次、发放资金7.4万元."""
from __future__ import annotations

import re
from bisect import bisect_left

from .quantities import Amount

# the clause before a quantity: after the last clause mark, 30 characters at most
_CLAUSE_MARK = re.compile(r"[，,。;；:、\n!?()]")
_TRAIL = re.compile(r"(?:等|达到|达|共|共计|计|为|约|总计)+$")
_LEAD = re.compile(
    r"^(?:[一二三四五六七八九十]是|\d+[.、]|全年|本年度?|累计|共计|共|新建|开展|发放|帮助|慰问|投入|完成|"
    r"提供|组织|举办|接待|办理|受理|达到|涉及|参与|覆盖|吸纳|推动建立|筹措价值|计|为|对|向|其中)+")
_FULL_STOP = re.compile("。")
_GENERIC = {"", "资金", "发放资金", "金额", "人数", "价值", "计"}
MEASURES = {"人次": "beneficiaries", "人": "beneficiaries", "名": "beneficiaries", "户": "beneficiaries",
            "户次": "beneficiaries"}


def find_indicators(text: str, quantities: list[Amount], used: set[int]) -> list[dict]:
    out = []
    last_subject, last_sentence = None, -1
    stops = [m.start() for m in _FULL_STOP.finditer(text)]
    for q in quantities:
        if q.start in used or q.kind not in ("money", "count"):
            continue
        clause_start = _clause_start(text, q.start)
        subject = _TRAIL.sub("", _LEAD.sub("", text[clause_start:q.start]))
        k = bisect_left(stops, q.start) - 1
        sentence = stops[k] if k >= 0 else -1          # where the sentence began: text.rfind("。", 0, q.start)
        if subject in _GENERIC or len(subject) < 2:
            if last_subject is None or sentence != last_sentence:
                continue
            subject = last_subject
        last_subject, last_sentence = subject, sentence
        measure = "funds" if q.kind == "money" else MEASURES.get(q.unit or "", "count")
        out.append({"subject": subject, "measure": measure, "quantity": q,
                    "subject_span": (clause_start, q.start)})
    return out


def _clause_start(text: str, pos: int) -> int:
    """Where the clause before ``pos`` begins: after its last clause mark, 30 characters back at most."""
    start = max(0, pos - 30)
    for m in _CLAUSE_MARK.finditer(text, start, pos):
        start = m.end()
    return start
