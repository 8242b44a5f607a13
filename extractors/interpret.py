"""Binds amounts to concepts through the grammar of the clause.

A fact is a fiscal term, a run of filler words (为, 决算数为, 支出, 2021年 …) and an amount:
``基本支出185.88万元``. After the amount come its attributes (占X% share, 完成预算X% rate).
A change clause (与2020年相比 … 增加 … 上升 …) attaches to the figure it is about and never
creates a new figure. All the words are data in ``lexicons/context.yaml``.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from .document import DocumentInfo
from .lexicon import Lexicon, alternation
from .quantities import Amount, QuantityFinder
from .table_reader import TableReader

_SENTENCE_END = re.compile(r"[。!?;；\n]")
_CLAUSE_END = re.compile(r"[,，;；。\n]|$")     # what may follow a bare 17.36% share
_AFTER_VERB = re.compile(r"(?:了|为|到|至|\s)*")          # 增加了 / 减少为 … before the amount
MAX_SENTENCE = 1000
_SENTENCE_MARKS = re.compile(r"[。!?\n]")
_DOT = re.compile(r"\.")                  # a half-width full stop, unless it is a decimal point
_CLAUSE_START = re.compile(r"[，,。;；:!?\n()]")
# not the year a change compares with; the look-behind follows the digits so that the scan can
# skip to each 1 or 2 instead of trying every position
_YEAR_IN = re.compile(r"(20\d{2}|19\d{2})(?<![与比较同]\d{4})年")
def _decimal_point(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and (text[i - 1].isdigit() or text[i + 1].isdigit())


def _change_fits(value: Decimal, change: "Change") -> bool | None:
    """Whether a change's amount and rate agree with ``value`` as the current figure (None when
    the change does not state both)."""
    if change.amount is None or change.rate is None or change.direction not in ("increase", "decrease"):
        return None
    prior = value - change.amount if change.direction == "increase" else value + change.amount
    if prior <= 0:
        return False
    return abs(change.amount / prior - change.rate) <= Decimal("0.005")


def side_of(term: str) -> str | None:
    """收入总计 names the revenue side of a total, 支出总计 the expenditure side, 收支总计 both."""
    revenue, spending = "收" in term, "支" in term
    return "revenue" if revenue and not spending else "expenditure" if spending and not revenue else None


def _is_name_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch in "()"


_LIST_OPENER = re.compile(r"其中|主要用于|包括")
_BARE_BEFORE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?=[,，]?$|[,，]?其中)")
_PAREN_OPEN = re.compile(r"\s*\(\s*")
_BASE_NUMBER = r"\d[\d,]*(?:\.\d+)?(?:万元|千元|亿元|元)?"     # 与年初预算3.2万元相比
_UNIT_DECL = re.compile(r"单位\s*[:：]?\s*(万元|千元|亿元|元)")      # (金额)单位：万元


@dataclass
class Change:
    amount: Decimal | None = None
    rate: Decimal | None = None
    direction: str | None = None
    compared_year: int | None = None
    compared_phase: str = "executed"
    reason: tuple[int, int] | None = None
    evidence: tuple[int, int] | None = None
    amount_q: Amount | None = None
    verb_start: int | None = None     # where the change verb begins (增加/减少 …)
    phase_stated: bool = False        # the comparison names the phase (较预算数, 比上年决算数)
    implicit: bool = False            # no comparison word: the prior year is assumed, so no check relies on it


@dataclass
class Figure:
    """A fact or a line item while it is being interpreted (working-copy offsets)."""

    kind: str                     # fact | line_item
    amount: Amount | None
    value: Decimal
    unit: str
    start: int                    # evidence: term start … amount end
    end: int
    fiscal_year: int | None
    phase: str
    concept: str | None = None
    share: Amount | None = None
    completion: Amount | None = None
    change: Change | None = None
    unit_inferred: bool = False
    line: dict = field(default_factory=dict)   # class/kind/item/codes for line items
    table_ref: dict | None = None   # {table, row, col, page} when read from a table
    share_base: str | None = None   # the concept a share names (占本年支出合计的…)
    parent: Amount | None = None    # the total a 其中/主要用于 list breaks down
    phase_stated: bool = True       # False: the phase is the document type's (or a guess when it is unknown)
    part_of: "Figure | None" = None  # the figure of the same concept a 其中 list breaks this one out of
    side: str | None = None         # revenue | expenditure: which side of 收支总计 the term names (收入总计)
    other_changes: list = field(default_factory=list)   # a second comparison (with the budget, after the prior year)
    compared: bool = False          # the figure a change clause compares with (较上年1174万元), not a change's subject


class Interpreter:
    def __init__(self, lex: Lexicon, finder: QuantityFinder) -> None:
        self.lex = lex
        self.finder = finder
        ctx = lex.context
        self.filler = re.compile(rf"(?:{'|'.join(ctx['filler'])})*")
        self.line_filler = re.compile(rf"(?:{'|'.join(ctx['filler'])}|\((?:类|款|项)\))*")
        self.blocked_left = re.compile(rf"(?:{'|'.join(ctx['blocked_left'])})$")
        self.blocked_left_by_concept = {c: re.compile(rf"(?:{alternation(words)})$")
                                        for c, words in (ctx.get("blocked_left_by_concept") or {}).items()}
        self.head_only = set(ctx.get("head_only_aliases") or ())
        self.head_only_left = re.compile(ctx.get("head_only_left") or "$")
        self.nil_prefix = re.compile(rf"(?:{alternation(ctx['nil_prefix'])})$")
        self.share = re.compile(rf"[,，]?\s*(?:{'|'.join(ctx['share_openers'])})(?=\d|百分之)")
        self.completion = re.compile(rf"[,，]?\s*(?:{'|'.join(ctx['completion_openers'])})(?=\d|百分之)")
        self.bare_pct = re.compile(r"[,，]\s*")
        verbs = ctx["change_verbs"]
        self.verb_dir = {v: d for d, vs in verbs.items() for v in vs}
        prev = "|".join(ctx["compare_years"]["previous"])

        def year(n):
            return rf"(?:(?P<y{n}>\d{{4}})年度?|(?P<prev{n}>{prev}))"

        def phase(n):
            return rf"(?P<ph{n}>年初预算数?|调整预算数?|预算数?|决算数?)?"
        direct = alternation([v for d in ("increase", "decrease") for v in verbs[d] if len(v) > 1])   # 与上年决算数下降
        # one leading character class, so that the scan skips to each 与/比/较/同 (a pattern whose
        # alternatives start otherwise is tried at every position); each branch checks that character
        self.compare = re.compile(
            rf"[与比较同](?:(?<=与){year(1)}?{phase(1)}(?P<base>{_BASE_NUMBER})?(?:相比|比较|对比|(?=基本持平|持平|{direct}))"
            rf"|(?<=[比较]){year(2)}{phase(2)}|(?<=[比较])(?P<ph3>(?:年初|调整)?预算数?)|(?<=同)比)")
        self.trailing_change = re.compile(rf"[,，]\s*(?P<verb>{alternation(ctx.get('trailing_change_verbs') or ['增长'])})")
        self.respective = re.compile(rf"各(?P<verb>{alternation(self.verb_dir)})了?")
        self.change_verb = re.compile(rf"(?P<verb>{alternation(self.verb_dir)})了?(?:幅度?为?|率为?)?")
        self.rate_word = re.compile(r"(?:增幅|降幅|增长率|下降率|增长幅度|下降幅度)(?:为|是)?")
        self.reason = re.compile(rf"[,，]?\s*(?P<r>(?:{'|'.join(ctx['reason_openers'])}))")
        self.phase_word = re.compile(r"预算|决算|执行")
        self.executed_words = re.compile(alternation(ctx["phase_words"]["executed"]))
        self.list_opener_any = re.compile(alternation(ctx["list_openers"]))
        self.line_marker = re.compile(r"\((类|款|项)\)")

    # ------------------------------------------------------------------ entry
    def run(self, text: str, quantities: list[Amount], info: DocumentInfo, tables=(), norm=None):
        self.text = text
        self.info = info
        self.qty_at = {q.start: q for q in quantities}
        self.quantities = quantities
        self.qty_starts = [q.start for q in quantities]
        self.extra: list[Amount] = []          # bare numbers bound to a figure
        self.used: set[int] = set()            # starts of amounts that belong to a figure
        self.stated_budgets: list[Figure] = []  # budgets named inside a completion rate
        self.unread: list[tuple[int, str]] = []  # (position, concept) of terms with no amount read
        self.default_scale = self._default_scale(quantities)
        self.unit_decls = [(m.start(), Decimal(self.lex.money_scales[m.group(1)]))
                           for m in _UNIT_DECL.finditer(text)]
        ends = [m.end() for m in _SENTENCE_MARKS.finditer(text)]
        dots = [m.end() for m in _DOT.finditer(text) if not _decimal_point(text, m.start())]
        self.sentence_ends = sorted(ends + dots) if dots else ends
        self.clause_starts = [m.end() for m in _CLAUSE_START.finditer(text)]
        years = list(_YEAR_IN.finditer(text))
        self.years = [(m.start(), int(m.group(1))) for m in years]
        self.year_ends = [m.end() for m in years]
        terms = self.lex.find_terms(text)
        reader = TableReader(self.lex, self)
        figures, in_tables = [], set()
        for table in tables:
            figures += reader.read(table, norm)
            in_tables.update(range(norm.norm_pos(table.start), norm.norm_pos(table.end)))
        figures += self._line_items_from_markers()
        figures += self._facts_and_classes(terms, self._covered(figures) | in_tables)
        figures.sort(key=lambda f: f.start)
        figures += self._carried_subject_facts(figures, in_tables)
        figures.sort(key=lambda f: f.start)
        self._inherit_from_list_head(figures)
        figures += self._changes(figures)
        figures += self.stated_budgets
        figures.sort(key=lambda f: f.start)
        return figures, self.extra

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _covered(figures: list[Figure]) -> set[int]:
        """Every working-copy position inside a figure already read."""
        covered: set[int] = set()
        for f in figures:
            covered.update(range(f.start, f.end))
        return covered

    def _default_scale(self, quantities: list[Amount]) -> Decimal:
        scales = [q.scale for q in quantities if q.kind == "money"]
        return max(set(scales), key=scales.count) if scales else Decimal(10000)

    def _scale_at(self, pos: int) -> tuple[Decimal, bool]:
        """The unit declared (单位：万元) shortly before ``pos`` and True, else the usual one and False."""
        k = bisect_left(self.unit_decls, (pos,))
        if k and pos - self.unit_decls[k - 1][0] < 4000:
            return self.unit_decls[k - 1][1], True
        return self.default_scale, False

    def _amount_at(self, pos: int, unit: str) -> Amount | None:
        q = self.qty_at.get(pos)
        if q is not None:
            if unit == "CNY" and q.kind == "money":
                return q
            if unit != "CNY" and q.kind == "count" and q.unit in ("人", "名"):
                return q
            return None
        if unit != "CNY":
            return None
        m = self.finder.bare_number(self.text, pos)
        if m is None or not self.text[m.end():].strip():
            return None               # a number the text ends on may be cut short (…总额为1)
        scale, declared = self._scale_at(pos)
        number = Decimal(m.group().replace(",", ""))
        amount = Amount(m.group(), number * scale, "CNY", "money", scale, None, m.start(), m.end(),
                        unit_inferred=True, unit_declared=declared)
        self.extra.append(amount)
        return amount

    def _clause_left(self, pos: int) -> str:
        """The clause's text before ``pos``: back to the last mark (，。：…), 40 characters at most."""
        k = bisect_right(self.clause_starts, pos) - 1
        start = self.clause_starts[k] if k >= 0 else 0
        return self.text[max(start, pos - 40):pos]

    def _sentence_bounds(self, pos: int) -> tuple[int, int]:
        """The sentence around ``pos``, at most MAX_SENTENCE characters either side: a longer run
        without a full stop or line break is not prose (a flattened table, a bad scan), and
        unbounded it would make every rule that reads a sentence quadratic in the text's length."""
        k = bisect_right(self.sentence_ends, pos)
        start = self.sentence_ends[k - 1] if k else 0
        end = self.sentence_ends[k] if k < len(self.sentence_ends) else len(self.text)
        return max(start, pos - MAX_SENTENCE), min(end, pos + MAX_SENTENCE)

    def _year_phase(self, left: str, filler: str, pos: int, term: str = "") -> tuple[int | None, str, bool]:
        """The figure's year (the sentence's, else the document's), phase, and whether a word of the
        sentence states the phase (else it is the document type's)."""
        sent_start, _ = self._sentence_bounds(pos)
        k = bisect_right(self.year_ends, pos) - 1       # the last year stated in the sentence before pos
        year = self.years[k][1] if k >= 0 and self.years[k][0] >= sent_start else self.info.fiscal_year
        stated_year = _YEAR_IN.search(filler)
        if stated_year:
            year = int(stated_year.group(1))
        tail = filler + ("预算" if term.endswith("预算") else "决算" if term.endswith("决算") else "")
        if "预算" in tail and "决算" not in tail:
            return year, "budgeted", True
        if "决算" in tail or self.executed_words.search(left + filler):
            return year, "executed", True
        return year, self.info.phase, False

    def _attributes(self, fig: Figure, pos: int) -> None:
        pos = self._rates(fig, pos)
        if fig.table_ref is None and fig.change is None:
            self._trailing_change(fig, pos)

    def _trailing_change(self, fig: Figure, pos: int) -> None:
        """…459989万元,增长10.3%: a change right after the figure, against the prior year."""
        m = self.trailing_change.match(self.text, pos)
        if m is None or fig.fiscal_year is None:
            return
        _, sent_end = self._sentence_bounds(pos)
        nxt = self.compare.search(self.text, m.end(), sent_end)
        end = min(sent_end, nxt.start() if nxt else sent_end, self._next_term(m.end(), sent_end))
        change = Change(compared_year=fig.fiscal_year - 1, compared_phase=fig.phase, implicit=True)
        self._read_verbs(change, m.start("verb"), m.start("verb"), end)
        if change.direction is not None:
            fig.change = change

    def _next_term(self, pos: int, end: int) -> int:
        """Where the next amount's clause begins: the next clause mark followed by a term."""
        terms = self.lex.find_terms(self.text[pos:end])
        return pos + terms[0][0] if terms else end

    def _rates(self, fig: Figure, pos: int) -> int:
        """Completion rate and share after the amount (完成预算的88.7%, 占36%); the position after them."""
        for _ in range(2):
            for pattern, slot in ((self.completion, "completion"), (self.share, "share"),
                                  (self.bare_pct, "share")):
                m = pattern.match(self.text, pos)
                if not m:
                    continue
                q = self.qty_at.get(m.end())
                if q is not None and q.kind == "money" and pattern is self.completion:
                    q = self._stated_budget(fig, q)
                if q is None or q.kind != "percent" or getattr(fig, slot) is not None:
                    continue
                if pattern is self.bare_pct and not _CLAUSE_END.match(self.text, q.end):
                    continue
                setattr(fig, slot, q)
                if slot == "share":
                    named = [t for t in self.lex.find_terms(m.group()) if t[2] == "concept"]
                    fig.share_base = named[-1][3] if named else None
                    fig.parent = self._parent_amount(fig.start)
                self.used.add(q.start)
                fig.end = q.end
                pos = q.end
                break
            else:
                return pos
        return pos

    def _stated_budget(self, fig: Figure, budget: Amount) -> Amount | None:
        """完成全年预算84.82万元的73.2%: the budget becomes a figure of its own; the rate follows it."""
        m = re.compile(r"的?").match(self.text, budget.end)
        rate = self.qty_at.get(m.end())
        if rate is not None and rate.kind != "percent":
            rate = None
        if (rate is None and not m.group()) or fig.kind != "fact" or budget.start in self.used:
            return None               # 完成预算0万元的--%: the budget is stated, the rate is not
        self.used.add(budget.start)
        self.stated_budgets.append(Figure("fact", budget, budget.value, "CNY", budget.start, budget.end,
                                          fig.fiscal_year, "budgeted", fig.concept, compared=True))
        return rate

    def _parent_amount(self, pos: int) -> Amount | None:
        """In 本年支出合计270万元，其中：基本支出…, the 270万元 that the list breaks down."""
        sent_start, _ = self._sentence_bounds(pos)
        m = None
        for opener in _LIST_OPENER.finditer(self.text, sent_start, pos):
            if not self._closed_aside(opener.end(), pos):    # (包括…) closed before the figure
                m = opener
        if m is None:
            return None
        k = bisect_left(self.qty_starts, m.start())
        while k > 0:
            q = self.quantities[k - 1]
            if q.start < sent_start:
                break
            if q.kind == "money" and q.end <= m.start():
                return q
            k -= 1
        bare = _BARE_BEFORE.search(self.text, sent_start, m.start())
        if bare:
            return self._amount_at(bare.start(), "CNY")
        return None

    def _bind(self, term_start: int, term_end: int, unit: str, filler: re.Pattern) -> tuple[Amount | None, str]:
        m = filler.match(self.text, term_end)
        amount = self._amount_at(m.end(), unit)
        return amount, m.group()

    # ------------------------------------------------------------------ facts
    def _facts_and_classes(self, terms, taken) -> list[Figure]:
        figures = []
        class_terms = [t for t in terms if t[2] == "class"]
        for start, end, kind, ident in terms:
            if start in taken:
                continue
            left = self._clause_left(start)
            if self.blocked_left.search(left):
                continue
            narrower = self.blocked_left_by_concept.get(ident)
            if narrower is not None and narrower.search(left):
                continue
            if self.text[start:end] in self.head_only and not self.head_only_left.search(self.text[max(0, start - 4):start]):
                continue                     # 工资福利支出预算 is not 支出预算
            if kind == "concept":
                fig = self._fact(start, end, ident, left)
                if fig is None:
                    self.unread.append((start, ident))
            else:
                fig = self._class_item(start, end, ident, left, class_terms)
            if fig is not None:
                figures.append(fig)
        return figures

    def _fact(self, start: int, end: int, concept_id: str, left: str) -> Figure | None:
        concept = self.lex.concepts[concept_id]
        amount, filler = self._bind(start, end, concept.unit, self.filler)
        year, phase, stated = self._year_phase(left, filler, start, self.text[start:end])
        if amount is None:
            if concept.unit == "CNY" and self.nil_prefix.search(left) and not filler.strip(" ,，"):
                nil_start = start - self.nil_prefix.search(left).end() + self.nil_prefix.search(left).start()
                return Figure("fact", None, Decimal(0), "CNY", nil_start, end, year, phase, concept_id,
                              phase_stated=stated)
            return None
        self.used.add(amount.start)
        fig = Figure("fact", amount, amount.value, concept.unit if concept.unit == "CNY" else amount.unit,
                     start, amount.end, year, phase, concept_id, unit_inferred=amount.unit_inferred,
                     phase_stated=stated, side=side_of(self.text[start:end]))
        self._attributes(fig, amount.end)
        return fig

    def _carried_subject_facts(self, figures: list[Figure], in_tables: set[int]) -> list[Figure]:
        """A clause without a term whose words before its amount are only predicates takes the
        subject of the clause before: 三公经费支出预算为63.30万元,支出决算为42.00万元 / 公务接待费2019年
        预算3万元，2018年预算4.2万元. The clause must say its phase or its year."""
        subjects = [f for f in figures if f.kind == "fact" and not f.compared and f.table_ref is None
                    and f.unit == "CNY"]
        starts = [f.start for f in subjects]
        out = []
        for q in self.quantities:
            if q.kind != "money" or q.start in self.used or q.start in in_tables:
                continue
            k = bisect_right(self.clause_starts, q.start) - 1
            clause_start = self.clause_starts[k] if k >= 0 else 0
            words = self.text[clause_start:q.start]
            if not words.strip() or self.text[clause_start - 1:clause_start] not in ",，;；" \
                    or not self.filler.fullmatch(words):
                continue
            year_m = _YEAR_IN.search(words)
            if not (self.phase_word.search(words) or year_m):
                continue
            i = bisect_left(starts, clause_start) - 1
            sent_start, _ = self._sentence_bounds(q.start)
            if i < 0 or subjects[i].start < sent_start:
                continue
            subject = subjects[i]
            year = int(year_m.group(1)) if year_m else subject.fiscal_year
            phase, stated = self._phase_of(words, subject)
            self.used.add(q.start)
            fig = Figure("fact", q, q.value, "CNY", clause_start, q.end, year, phase, subject.concept,
                         unit_inferred=q.unit_inferred, phase_stated=stated)
            self._attributes(fig, q.end)
            out.append(fig)
            subjects.insert(i + 1, fig)
            starts.insert(i + 1, fig.start)
        return out

    def _inherit_from_list_head(self, figures: list[Figure]) -> None:
        """An item of a 其中 list that states no phase has the phase of the figure the list breaks
        down (the last one before the list that states its phase); the list runs to the end of the
        sentence its first item is in."""
        head, list_end = None, -1
        for f in figures:
            if f.kind != "fact" or f.table_ref is not None or f.compared:
                continue
            if head is not None and f.start >= list_end and f.start - head.end < 300 and self._opens_list(head.end, f.start):
                list_end = self._sentence_bounds(f.start)[1]
            if f.start < list_end:
                if not f.phase_stated and head.phase_stated:
                    f.phase, f.phase_stated = head.phase, True
                if f.concept == head.concept:
                    f.part_of = head        # 离退休人员5199人,其中:退休5097人: a part, not the figure again
                continue
            head = f

    def _opens_list(self, head_end: int, pos: int) -> bool:
        """A list opener (其中) right after the head figure (its clause, or the next sentence's start)
        and before ``pos`` in one sentence."""
        m = self.list_opener_any.search(self.text, head_end, pos)
        if m is None or _SENTENCE_MARKS.search(self.text, m.end(), pos):
            return False
        return len(self.text[head_end:m.start()].strip(" 。\n,，;；:：")) <= 12

    def _phase_of(self, words: str, subject: Figure) -> tuple[str, bool]:
        if "预算" in words and "决算" not in words:
            return "budgeted", True
        if "决算" in words or "执行" in words:
            return "executed", True
        return subject.phase, subject.phase_stated

    def _class_item(self, start, end, code, left, class_terms) -> Figure | None:
        row = self.lex.classification.by_code[code]
        amount, filler = self._bind(start, end, "CNY", self.line_filler)
        if amount is None:
            return None
        ambiguous = row.name in self.lex.documents.get("ambiguous_classes", ["其他支出"])
        if ambiguous and "(类)" not in filler:
            s, e = self._sentence_bounds(start)
            if sum(1 for t in class_terms if s <= t[0] < e) < 2:
                return None
        year, phase, stated = self._year_phase(left, filler, start)
        self.used.add(amount.start)
        fig = Figure("line_item", amount, amount.value, "CNY", start, amount.end, year, phase,
                     unit_inferred=amount.unit_inferred, phase_stated=stated,
                     line={"level": "class", "class": row.name, "kind": None, "item": None,
                           "function_code": row.code, "cofog": row.cofog, "code_source": "lexicon"})
        self._attributes(fig, amount.end)
        return fig

    # ------------------------------------------------------------------ line items
    def _line_items_from_markers(self) -> list[Figure]:
        """类/款/项 chains: 一般公共服务（类）群众团体事务（款）行政运行（项）."""
        chains, current, last_end = [], [], -1
        for m in self.line_marker.finditer(self.text):
            name_start = self._name_start(m.start(), last_end)
            if name_start == m.start():
                continue
            token = (name_start, m.start(), m.end(), m.group(1))
            if current and name_start != current[-1][2]:
                chains.append(current)
                current = []
            current.append(token)
            last_end = m.end()
        if current:
            chains.append(current)
        return [fig for chain in chains if (fig := self._chain_item(chain)) is not None]

    def _name_start(self, pos: int, floor: int) -> int:
        """Where the name before a marker begins: CJK and （室）-style parentheses, 40 at most."""
        start = pos
        limit = max(floor, pos - 40, 0)
        while start > limit and (_is_name_char(self.text[start - 1])):
            start -= 1
        return start

    def _chain_item(self, chain: list[tuple[int, int, int, str]]) -> Figure | None:
        names = {"类": None, "款": None, "项": None}
        first_start = chain[0][0]
        for i, (start, name_end, _, marker) in enumerate(chain):
            level = {"类": "class", "款": "kind", "项": "item"}[marker]
            raw = self.text[start:name_end]
            if i == 0:
                cut = self.lex.classification.known_suffix(level, raw)
                if cut > 0:
                    raw, first_start = raw[cut:], start + cut
            names[marker] = raw
        last_end = chain[-1][2]
        amount, filler = self._bind(last_end, last_end, "CNY", self.line_filler)
        if amount is None:
            return None
        year, phase, stated = self._year_phase("", filler, first_start)
        self.used.add(amount.start)
        line = self._resolve(names["类"], names["款"], names["项"], first_start)
        fig = Figure("line_item", amount, amount.value, "CNY", first_start, amount.end, year, phase,
                     unit_inferred=amount.unit_inferred, line=line, phase_stated=stated)
        self._attributes(fig, amount.end)
        return fig

    def _resolve(self, cls_name, kind_name, item_name, pos) -> dict:
        c = self.lex.classification
        cls = c.lookup("class", cls_name) if cls_name else None
        kind = c.lookup("kind", kind_name, cls.code if cls else None) if kind_name else None
        if kind is None and kind_name and cls is None:
            kind = c.lookup("kind", kind_name)
        if cls is None and kind is not None:
            cls = c.by_code.get(kind.parent or "")
        item = c.lookup("item", item_name, kind.code) if (item_name and kind) else None
        level = "item" if item_name else "kind" if kind_name else "class"
        deepest = {"item": item, "kind": kind, "class": cls}[level]
        return {
            "level": level,
            "class": cls.name if cls else cls_name,
            "kind": kind.name if kind else kind_name,
            "item": item.name if item else item_name,
            "function_code": deepest.code if deepest else None,
            "cofog": cls.cofog if cls else None,
            "code_source": "lexicon" if deepest else None,
        }

    # ------------------------------------------------------------------ changes
    def _changes(self, figures: list[Figure]) -> list[Figure]:
        """Attaches each change clause to the figure it is about; the figure it compares with
        (较上年1174万元, 与年初预算3.2万元相比) becomes a figure of its own, of the compared year and
        phase. Returns those new figures."""
        compares = list(self.compare.finditer(self.text))
        by_start = {f.start: f for f in figures}
        subjects = [f for f in figures if not f.compared]
        starts = [f.start for f in subjects]
        added = []
        for i, m in enumerate(compares):
            sent_start, sent_end = self._sentence_bounds(m.start())
            until = min(sent_end, compares[i + 1].start()) if i + 1 < len(compares) else sent_end
            change = self._read_change(m, until)
            if change is None:
                continue
            if self._respective_changes(m, change, until, subjects, starts, sent_start):
                continue
            self._item_changes(m, change, until, subjects, starts)
            inside = self._figure_inside(m, change, by_start)
            if inside is not None:
                target = self._same_concept_before(subjects, starts, m.start(), inside.concept)
            else:
                target = self._change_target(subjects, starts, m.start(), sent_start)
            if target is None:
                continue
            if inside is None:
                target = self._fitting_subject(target, change, subjects, sent_start, m.start())
                if target is None:
                    continue
            base = inside or self._compared_figure(m, change, target)
            if base is not None and base not in figures:
                added.append(base)
            if target.change is None:
                target.change = change
            elif all((c.compared_year, c.compared_phase) != (change.compared_year, change.compared_phase)
                     for c in [target.change, *target.other_changes]):
                target.other_changes.append(change)
        return added

    def _read_verbs(self, change: Change, evidence_start: int, pos: int, end: int) -> None:
        """The change verbs from ``pos`` to ``end``: 减少40万元, 下降3%, 持平, 增加1.5万元(42.86%)."""
        for v in self.change_verb.finditer(self.text, pos, end):
            direction = self.verb_dir[v.group("verb")]
            if change.verb_start is None:
                change.verb_start = v.start()
            if direction == "flat":
                change.direction = "flat"        # 持平: flat, with no amount or rate stated
                change.evidence = (evidence_start, v.end())
                break
            q = self.qty_at.get(self._skip_filler(v.end()))
            if q is None:
                continue
            change.direction = change.direction or direction
            if q.kind == "money" and change.amount is None:
                change.amount, change.amount_q = q.value, q
                rate = self._rate_in_parentheses(q.end)
                if rate is not None and change.rate is None:
                    change.rate = rate.value
                    self.used.add(rate.start)
                    q = rate
            elif q.kind == "percent" and change.rate is None:
                change.rate = q.value
            self.used.add(q.start)
            change.evidence = (evidence_start, q.end)
        for r in self.rate_word.finditer(self.text, pos, end):
            q = self.qty_at.get(r.end())
            if q is not None and q.kind == "percent" and change.rate is None:
                change.rate = q.value
                self.used.add(q.start)
                change.evidence = (evidence_start, q.end)
        if change.amount == 0 and not change.rate:
            change.direction = "flat"            # 减少0万元: no change at all

    def _rate_in_parentheses(self, pos: int) -> Amount | None:
        """减少18.50万元(65.37%): the rate in parentheses after the amount."""
        m = _PAREN_OPEN.match(self.text, pos)
        if m is None:
            return None
        q = self.qty_at.get(m.end())
        if q is None or q.kind != "percent" or not self.text.startswith(")", q.end):
            return None
        return q

    def _item_changes(self, m, change: Change, until: int, subjects, starts) -> None:
        """其中:因公出国(境)费支出决算减少0万元,降低0%;公务接待费支出决算增加0.01万元…: after a
        comparison, each item of the list that names a term and a change verb has a change of its
        own, against the same year and phase."""
        opener = self.list_opener_any.search(self.text, m.end(), until)
        if opener is None:
            return
        items = [t for t in self.lex.find_terms(self.text[opener.end():until]) if t[2] == "concept"]
        for i, (a, b, _, concept) in enumerate(items):
            start, end = opener.end() + a, opener.end() + b
            verb_at = self.filler.match(self.text, end).end()
            if not self.change_verb.match(self.text, verb_at):
                continue
            item_end = opener.end() + items[i + 1][0] if i + 1 < len(items) else until
            own = Change(compared_year=change.compared_year, compared_phase=change.compared_phase,
                         phase_stated=change.phase_stated)
            self._read_verbs(own, start, verb_at, item_end)
            if own.direction is None:
                continue
            target = self._same_concept_before(subjects, starts, m.start(), concept)
            if target is not None and target.change is None:
                target.change = own

    def _respective_changes(self, m, change: Change, until: int, subjects, starts, sent_start) -> bool:
        """收入、支出总计各增加1412.7万元、2062.79万元，增长15.74%、23.72%: the n amounts after 各
        belong, in order, to the last n figures before the comparison."""
        each = self.respective.search(self.text, m.end(), until)
        if each is None:
            return False
        amounts = self._listed(each.end(), until, "money")
        if len(amounts) < 2:
            return False
        k = bisect_left(starts, m.start())
        figures = subjects[max(0, k - len(amounts)):k]
        if len(figures) != len(amounts) or figures[0].start < sent_start:
            return False
        rate_verb = self.change_verb.search(self.text, amounts[-1].end, until)
        rates = self._listed(rate_verb.end(), until, "percent") if rate_verb else []
        for i, fig in enumerate(figures):
            own = Change(amounts[i].value, rates[i].value if len(rates) == len(amounts) else None,
                         self.verb_dir[each.group("verb")], change.compared_year, change.compared_phase,
                         evidence=(m.start(), (rates or amounts)[-1].end), amount_q=amounts[i],
                         phase_stated=change.phase_stated)
            if fig.change is None:
                fig.change = own
        return True

    def _listed(self, pos: int, until: int, kind: str) -> list[Amount]:
        """Amounts of one kind listed with 、 from ``pos``: 1412.7万元、2062.79万元."""
        out = []
        k = bisect_left(self.qty_starts, self._skip_filler(pos))
        while k < len(self.quantities):
            q = self.quantities[k]
            if q.kind != kind or q.start >= until or (out and self.text[out[-1].end:q.start].strip() != "、"):
                break
            if not out and q.start != self._skip_filler(pos):
                break
            out.append(q)
            self.used.add(q.start)
            k += 1
        return out

    def _fitting_subject(self, target: Figure, change: Change, subjects, sent_start: int, pos: int) -> Figure | None:
        """A change whose amount and rate do not fit the figure before it, but fit another amount of
        the sentence (the total a 其中 list breaks down), is that amount's: its figure's, or nobody's
        that was read."""
        if _change_fits(target.value, change) is not False:
            return target
        k = bisect_left(self.qty_starts, sent_start)
        while k < len(self.quantities) and self.quantities[k].start < pos:
            q = self.quantities[k]
            if q.kind == "money" and _change_fits(q.value, change):
                return next((f for f in subjects if f.amount is q), None)
            k += 1
        return target

    def _figure_inside(self, m: re.Match, change: Change, by_start) -> Figure | None:
        """A figure read between the comparison word and its verb (较2014年三公经费合计16.08万元增加…)
        is the figure compared with: it takes the compared year and phase."""
        if change.compared_year is None:
            return None
        end = change.verb_start if change.verb_start is not None else m.end()
        for f in by_start.values():
            if m.start() < f.start < end and f.kind == "fact" and f.table_ref is None:
                f.fiscal_year, f.phase, f.compared = change.compared_year, change.compared_phase, True
                f.phase_stated = f.phase_stated or change.phase_stated
                return f
        return None

    @staticmethod
    def _same_concept_before(subjects, starts, pos: int, concept: str) -> Figure | None:
        k = bisect_left(starts, pos)
        for f in reversed(subjects[max(0, k - 50):k]):
            if f.concept == concept and not f.compared and pos - f.end < 3000:
                return f
        return None

    def _compared_figure(self, m: re.Match, change: Change, target: Figure) -> Figure | None:
        """The amount between the comparison word and its verb (较上年1174万元减少…) becomes a figure
        of the target's concept, of the compared year and phase."""
        if target.kind != "fact" or target.concept is None or change.compared_year is None:
            return None
        end = change.verb_start if change.verb_start is not None else m.end()
        pos = m.start("base") if m.group("base") else self._skip_compare_words(m.end(), end)
        if pos is None:
            return None
        amount = self._base_amount(pos, end)
        if amount is None or amount.start in self.used:
            return None
        self.used.add(amount.start)
        return Figure("fact", amount, amount.value, "CNY", m.start(), amount.end, change.compared_year,
                      change.compared_phase, target.concept, unit_inferred=amount.unit_inferred,
                      phase_stated=change.phase_stated, compared=True)

    def _skip_compare_words(self, pos: int, end: int) -> int | None:
        """Where the amount after 较上年 / 比上年决算数 starts, if only filler stands before it."""
        m = self.filler.match(self.text, pos)
        return m.end() if m.end() < end else None

    def _base_amount(self, pos: int, end: int) -> Amount | None:
        q = self.qty_at.get(pos)
        if q is not None:
            return q if q.kind == "money" and q.end <= end else None
        m = self.finder.bare.match(self.text, pos)      # 较上年2.6减少0.4万元: the verb follows at once
        if m is None or m.end() > end or self.text[m.end():end].strip(" ,，"):
            return None
        twin = self._next_money(m.end(), end + 40)
        if twin is None:
            return None
        number = Decimal(m.group().replace(",", ""))
        amount = Amount(m.group(), number * twin.scale, "CNY", "money", twin.scale, None, m.start(), m.end(),
                        unit_inferred=True)
        self.extra.append(amount)
        return amount

    def _next_money(self, pos: int, end: int) -> Amount | None:
        """The stated amount after ``pos`` in the clause: a bare 2.6 before 减少0.4万元 takes its unit."""
        k = bisect_left(self.qty_starts, pos)
        if k < len(self.quantities):
            q = self.quantities[k]
            if q.kind == "money" and q.start < end and not _CLAUSE_START.search(self.text, pos, q.start):
                return q
        return None

    def _read_change(self, m: re.Match, sent_end: int) -> Change | None:
        year = m.group("y1") or m.group("y2")
        prev = m.group("prev1") or m.group("prev2")
        fiscal = self.info.fiscal_year
        ph = m.group("ph1") or m.group("ph2") or m.group("ph3") or ""
        change = Change()
        if m.group("ph3") or (not year and not prev and "预算" in ph and m.group().startswith("与")):
            change.compared_year = fiscal
        else:
            change.compared_year = int(year) if year else (fiscal - 1 if fiscal else None)
        change.compared_phase = "budgeted" if "预算" in ph else ("executed" if "决算" in ph else self.info.phase)
        change.phase_stated = bool(ph)
        end = min(sent_end, len(self.text))
        opener = self.list_opener_any.search(self.text, m.end(), end)
        if opener is not None:
            end = opener.start()            # the list after 其中 has changes of its own (_item_changes)
        self._read_verbs(change, m.start(), m.end(), end)
        if change.direction is None:
            return None
        change.reason = self._reason(change.evidence[1])
        return change

    def _unbound_amount(self, start: int, end: int) -> bool:
        k = bisect_left(self.qty_starts, start)
        while k < len(self.quantities) and self.quantities[k].start < end:
            q = self.quantities[k]
            if q.kind == "money" and q.start not in self.used:
                return True
            k += 1
        return False

    def _closed_aside(self, start: int, end: int) -> bool:
        """Whether a parenthesis open at ``start`` closes before ``end``."""
        between = self.text[start:end]
        return between.count(")") > between.count("(")

    def _skip_filler(self, pos: int) -> int:
        return _AFTER_VERB.match(self.text, pos).end()

    def _reason(self, pos: int) -> str | None:
        _, end = self._sentence_bounds(pos)
        for candidate in (pos, end):
            m = self.reason.match(self.text, candidate)
            if m:
                _, r_end = self._sentence_bounds(m.start("r"))
                return (m.start("r"), r_end)
        return None

    def _change_target(self, figures: list[Figure], starts: list[int], pos: int, sent_start: int) -> Figure | None:
        k = bisect_left(starts, pos)           # figures[:k] start before the comparison
        while k and figures[k - 1].start >= sent_start and self._closed_aside(figures[k - 1].end, pos):
            k -= 1                             # 995万元(其中…958万元),比上年下降: the change is the 995's
        if k and figures[k - 1].start >= sent_start:
            return figures[k - 1]              # stated in the same sentence
        if self._unbound_amount(sent_start, pos):
            return None                        # the change is about a figure we did not read
        subject = [t for t in self.lex.find_terms(self.text[sent_start:pos]) if t[2] == "concept"]
        if subject:
            concept = subject[-1][3]
            for f in reversed(figures[max(0, k - 200):k]):
                if f.concept == concept:
                    return f
        if k and pos - figures[k - 1].end < 300:
            return figures[k - 1]
        return None
