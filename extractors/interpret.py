"""Binds amounts to concepts through the grammar of the clause.

A fact is a fiscal term, a run of filler words (为, 决算数为, 支出, 2021年 …) and an amount:
``基本支出185.88万元``. After the amount come its attributes (占X% share, 完成预算X% rate). A
clause with no term of its own whose words are only predicates (,支出决算为42.00万元) takes the
subject of the clause before; the items of a 其中 list take the phase of the figure they break
down. Change clauses are read by :mod:`extractors.changes`. All the words are data in
``lexicons/context.yaml``.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from .changes import _ITEM_END, Change, ChangeClauses
from .document import DocumentInfo
from .lexicon import Lexicon, alternation
from .quantities import Amount, QuantityFinder
from .table_reader import TableReader, table_rules

_SENTENCE_END = re.compile(r"[。!?;；\n]")
_CLAUSE_END = re.compile(r"[,，;；。\n]|$")     # what may follow a bare 17.36% share
MAX_SENTENCE = 1000
_SENTENCE_CHARS = "。!?\n"
_SENTENCE_MARKS = re.compile(f"[{_SENTENCE_CHARS}]")
_DOT = re.compile(r"\.")                  # a half-width full stop, unless it is a decimal point
_CLAUSE_START = re.compile(r"[，,。;；:!?\n()]")
# not the year a change compares with; the look-behind follows the digits so that the scan can
# skip to each 1 or 2 instead of trying every position
_YEAR_IN = re.compile(r"(20\d{2}|19\d{2})(?<![与比较同]\d{4})年")
def _span_at(spans: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    """The span of ``spans`` (sorted by start) that ``pos`` falls in, the last one starting before it."""
    k = bisect_right(spans, (pos, math.inf)) - 1
    return spans[k] if k >= 0 and pos < spans[k][1] else None


def _decimal_point(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and (text[i - 1].isdigit() or text[i + 1].isdigit())


def side_of(term: str) -> str | None:
    """收入总计 names the revenue side of a total, 支出总计 the expenditure side, 收支总计 both."""
    revenue, spending = "收" in term, "支" in term
    return "revenue" if revenue and not spending else "expenditure" if spending and not revenue else None


def _is_name_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch in "()"


_LIST_OPENER = re.compile(r"其中|主要用于|包括")
_EACH_SIDE = re.compile(r"(?:各|分别)(?:是|为)\s*(?P<first>\d[\d,]*(?:\.\d+)?)(?:万元|元)?\s*[,，、]\s*(?P<second>(?=\d))")
# a term inside a comparison that names its year (与2018年…总额27389.54万元相比): the figure is that year's
_REASON_END = re.compile(r"[;；。\n]")
_OPEN_COMPARISON = re.compile(r"与(\d{4})年度?[^与比较,，。;；]{0,30}$")
_CLOSE_COMPARISON = re.compile(r"(?:相比|比较|对比)")
_BARE_TOTAL_AFTER = set("年度,，:：。;；\n")


def _occurrences(text: str, words) -> list[tuple[int, str]]:
    """Where each of ``words`` occurs in ``text``, in order (str.find: faster than a regex
    alternation, which is tried at every position)."""
    found = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            found.append((i, word))
            i = text.find(word, i + len(word))
    return sorted(found)


# a heading that names a concept alone: (二)公务接待费。
_HEADING_STOP = re.compile(r"[ \t\u3000]*。")
# a heading line: an outline mark, a concept, and nothing after it but 情况(说明) and a stop
_OUTLINE_MARK = re.compile(r"[ \t\u3000]*[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．][ \t\u3000]*$")
_UNSEEN = object()
# a numbered list's entry at a line's start: 1.人大事务1087万元 / 3.政府办公厅(室)及相关机构事务18524万元
# (found from the line break before it, which the scan skips to: the text's first line, its title, is not tried)
_NUMBERED_NAME = re.compile(r"\n[ \t\u3000]*\d{1,2}[.、．][ \t\u3000]*(?P<name>[\u4e00-\u9fff()（）]{2,24}?)(?=\d)")
_LINE_SPLIT_PARTS = frozenset({"expenditure.basic", "expenditure.project"})
_MARK_ENDS = frozenset(")）、.． \t\u3000")
_HEADING_TAIL = re.compile(r"(?:支出)?(?:情况)?(?:说明)?[ \t\u3000]*[。.]?[ \t\u3000]*")
_OUTLINE_LINE = re.compile(r"^[ \t\u3000]*[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]", re.M)
_OUTLINE_ONLY = re.compile(r"\s*(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．][ \t\u3000]*)?")
# a change clause right after a figure (,比上年减支433万元,降低8.19%): a completion rate may follow it
_CHANGE_SPAN = re.compile(r"[,，]\s*(?:比|较|与|同比)[^,，。;；%]{0,30}?(?:万元|亿元|元|%)"
                          r"(?:[,，]\s*(?:增长|下降|降低|减少|增加|增幅|降幅)[^,，。;；]{0,6}?%)?")
_OPENING = re.compile(r"[\s。;；]*(?:[(（]?[一二三四五六七八九十\d]+[)）、.]\s*)?(?:\d{4}年度?)?[,，]?")
_OF = re.compile(r"的?")            # 完成预算84.82万元的73.2%
_PAST_COMMA = re.compile(r"[,，]?\s*")
_TRAILING_SPAN = 40     # 增支42991万元，增长10.3%: a trailing change is read this far, no farther
_ROW_NUMBER = re.compile(r"\d{1,2}[ \t\u3000]+(?=\d)")    # a 行次 before the amount of its row
_BARE_BEFORE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?=[,，]?$|[,，]?其中)")
_BASE_NUMBER = r"\d[\d,]*(?:\.\d+)?(?:万元|千元|亿元|元)?"     # 与年初预算3.2万元相比
ENTRY_REACH = 400
# a numbered entry of a list at the start of a line: 4. / 4． / (四) / 四、
_ENTRY_MARKER = re.compile(r"\n\s*(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十\d]+[.．、])")
_UNIT_DECL = re.compile(r"单位\s*[:：]?\s*(万元|千元|亿元|元)")      # (金额)单位：万元


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
    header_implied: bool = False    # read under the columns of a standard form the text left out
    term: str | None = None         # the words the figure was named with (实有人数, 在职人数)
    fund: str | None = None         # the fund a department-wide concept is stated for in its sentence
    entity: str | None = None       # the body (全州, 州本级) whose paragraph states it, where a page states two
    category: str | None = None     # the kind of staff a count is of (行政编制115人,实有人数107人: 行政)
    side: str | None = None         # revenue | expenditure: which side of 收支总计 the term names (收入总计)
    other_changes: list = field(default_factory=list)   # a second comparison (with the budget, after the prior year)
    compared: bool = False          # the figure a change clause compares with (较上年1174万元), not a change's subject
    statement: dict | None = None   # the standard statement a table figure was read from (CONTRACT v1.1)
    scope: str | None = None        # the money it covers: all_funds | fiscal_appropriation | general_budget …
    basis: str | None = None        # total | basic | project: the split of expenditure its column holds
    restates: "Figure | None" = None  # the line-item heading this figure states again (same year and phase)
    column: str | None = None       # a table figure's column header, as printed (its header rows joined)
    split: list | None = None       # a 合计 cell's 基本支出 and 项目支出 cells in its row: [(Amount, ref)] * 2


class Interpreter(ChangeClauses):
    def __init__(self, lex: Lexicon, finder: QuantityFinder) -> None:
        self.lex = lex
        self.finder = finder
        ctx = lex.context
        self.filler = re.compile(rf"(?:{'|'.join(ctx['filler'])})*")
        self.line_filler = re.compile(rf"(?:{'|'.join(ctx['filler'] + (ctx.get('line_filler') or []))}|\((?:类|款|项)\))*")
        self.line_revenue = re.compile(alternation(ctx.get("line_item_revenue_words") or []) or "(?!)")
        self.blocked_left = re.compile(rf"(?:{'|'.join(ctx['blocked_left'])})$")
        self.blocked_left_by_concept = {c: re.compile(rf"(?:{alternation(words)})$")
                                        for c, words in (ctx.get("blocked_left_by_concept") or {}).items()}
        self.blocked_in_sentence_by_concept = {c: re.compile(alternation(words))
                                               for c, words in (ctx.get("blocked_in_sentence_by_concept") or {}).items()}
        self.blocked_right_by_concept = {c: re.compile(alternation(words))
                                         for c, words in (ctx.get("blocked_right_by_concept") or {}).items()}
        self.fund_concepts = dict(ctx.get("fund_concepts") or {})
        self.narrowed_by = dict(ctx.get("narrowed_by") or {})
        self.change_subjects = dict(ctx.get("change_subjects") or {})
        self.fund_words = re.compile(ctx.get("fund_words") or "(?!)")
        self.fund_scoped = set(ctx.get("fund_scoped_concepts") or ())
        self.head_only = set(ctx.get("head_only_aliases") or ())
        self.head_only_left = re.compile(ctx.get("head_only_left") or "$")
        self.count_category = re.compile(alternation(ctx["count_categories"])) if ctx.get("count_categories") else None
        self.entity_names = tuple(ctx.get("entity_names") or ())
        self.entity_openers = re.compile(rf"^[ \t\u3000]*(?:\d{{4}}年度?)?({alternation(self.entity_names)})", re.M) \
            if self.entity_names else None
        self.list_parts = {head: (re.compile(alternation(parts)), parts)
                           for head, parts in (ctx.get("list_parts") or {}).items()}
        bare = ctx.get("bare_totals") or {}
        self.bare_totals = bare.get("terms") or {}
        self.bare_total_before = re.compile(bare.get("clause_before") or "(?!)")
        totals = ctx.get("ambiguous_totals") or {}
        self.totals_sides = totals.get("terms") or {}
        self.totals_term = re.compile(alternation(list(self.totals_sides)) or "(?!)")
        self.totals_whole, self.totals_own = totals.get("whole"), totals.get("own") or {}
        self.totals_part_after = re.compile(totals.get("part_after") or "(?!)")
        self.totals_not_after = re.compile(totals.get("not_after") or "(?!)")
        self.nil_prefix = re.compile(rf"(?:{alternation(ctx['nil_prefix'])})$")
        self.nil_filler = re.compile(ctx.get("nil_filler") or "")
        self.nil_suffix = re.compile(rf"(?:{ctx.get('nil_filler') or ''})(?:{alternation(ctx.get('nil_suffix') or ['(?!)'])})(?=[,，。;；\n]|$)")
        self.share = re.compile(rf"[,，]?\s*(?:{'|'.join(ctx['share_openers'])})(?=\d|百分之)")
        self.completion = re.compile(rf"[,，]?\s*(?:{'|'.join(ctx['completion_openers'])})(?=\d|百分之)")
        self.bare_pct = re.compile(r"[,，]\s*")
        verbs = ctx["change_verbs"]
        self.verb_dir = {v: d for d, vs in verbs.items() for v in vs}
        self.difference_verb = re.compile(alternation(ctx.get("difference_verbs") or ["(?!)"]))
        prev = "|".join(ctx["compare_years"]["previous"])

        def year(n):
            return rf"(?:(?P<y{n}>\d{{4}})年度?|(?P<prev{n}>{prev}))"

        def phase(n):
            return rf"(?P<ph{n}>年初预算数?|调整预算数?|预算执行数|预算数?|决算数?|执行数)?"
        direct = alternation([v for d in ("increase", "decrease") for v in verbs[d] if len(v) > 1])   # 与上年决算数下降
        # one leading character class, so that the scan skips to each 与/比/较/同 (a pattern whose
        # alternatives start otherwise is tried at every position); each branch checks that character
        self.compare = re.compile(
            rf"[与和比较同,，](?:(?<=与){year(1)}?{phase(1)}(?P<base>{_BASE_NUMBER})?(?:相比|比较|对比|(?=基本持平|持平|{direct}))"
            rf"|(?<=和){year(6)}{phase(6)}(?:相比|比较|对比|(?=基本持平|持平|{direct}))"     # 和上年持平
            rf"|(?<=[比较]){year(2)}{phase(2)}|(?<=[比较])(?P<ph3>(?:年初|调整)?预算数?)|(?<=同)比"
            # ,2021年度预算相比,减少20.50万元: the 与 left out
            rf"|(?<=[,，])[ \t]*(?:(?P<y4>\d{{4}})年度?)(?P<ph4>年初预算数?|调整预算数?|预算数?|决算数?)?(?:相比|比较|对比)"
            # 与2018年一般公共预算“三公”经费总额27389.54万元相比: the figure compared with inside
            rf"|(?<=与)(?P<y5>\d{{4}})年度?[^与比较,，。;；]{{1,40}}?(?:相比|比较|对比))")
        self.trailing_change = re.compile(rf"[,，]\s*(?P<verb>{alternation(ctx.get('trailing_change_verbs') or ['增长'])})")
        self.respective = re.compile(rf"各(?P<verb>{alternation(self.verb_dir)})了?")
        self.change_verb = re.compile(rf"(?P<verb>{alternation(self.verb_dir)})了?(?:幅度?为?|率为?)?")
        # 增加了 / 减少为 / 下降(上升) / 增(减) … before the amount: the form's other sign in parentheses
        signed = alternation([v for d in ("increase", "decrease") for v in verbs[d]])
        self.after_verb = re.compile(rf"(?:了|为|到|至|\s|\((?:{signed})\))*")
        self.rate_word = re.compile(r"(?:增幅|降幅|增长率|下降率|增长幅度|下降幅度)(?:为|是)?")
        self.reason = re.compile(rf"[,，]?\s*(?P<r>(?:{'|'.join(ctx['reason_openers'])}))")
        # where a reason begins, for the years it states (see _sentence_year): its cue words alone,
        # found at C speed, since every document is scanned for them
        self.reason_word = re.compile(alternation(ctx.get("reason_cues") or ["原因", "主要是"]))
        self.phase_word = re.compile(r"预算|决算|执行")
        self.executed_words = re.compile(alternation(ctx["phase_words"]["executed"]))
        self.list_opener_any = re.compile(alternation(ctx["list_openers"]))
        # (类) / (款) / (项), also with the level's code printed in it: 社会保障和就业支出(208类)
        self.line_marker = re.compile(r"\((?:\d{3,7})?(类|款|项)\)")
        self.adjusted_notes = [(re.compile(n["pattern"]), n["concepts"]) for n in ctx.get("adjusted_budget_notes", ())]
        self.row_number_words = table_rules()["columns"]["row_number"]     # 行次, 栏次

    # ------------------------------------------------------------------ entry
    def run(self, text: str, quantities: list[Amount], info: DocumentInfo, tables=(), norm=None):
        self.text = text
        self.norm = norm
        self.info = info
        self.doc_prefix = {"final_accounts": "final", "budget": "budget"}.get(info.doc_type)
        self.qty_at = {q.start: q for q in quantities}
        self.quantities = quantities
        self.qty_starts = [q.start for q in quantities]
        self.extra: list[Amount] = []          # bare numbers bound to a figure
        self.used: set[int] = set()            # starts of amounts that belong to a figure
        self.stated_budgets: list[Figure] = []  # budgets named inside a completion rate
        self.joint: list[Figure] = []           # the second side of a joint term (收、支总计各是…)
        self.unread: list[tuple[int, str]] = []  # (position, concept) of terms with no amount read
        self.default_scale = self._default_scale(quantities)
        self.row_numbered = bool(self.row_number_words.search(text))   # rows may carry their number before the amount
        self.unit_decls = [(m.start(), Decimal(self.lex.money_scales[m.group(1)]))
                           for m in _UNIT_DECL.finditer(text)]
        self.clause_starts = [m.end() for m in _CLAUSE_START.finditer(text)]
        # the sentence marks are clause marks too: the sentence ends are the clause starts after one
        ends = [p for p in self.clause_starts if text[p - 1] in _SENTENCE_CHARS]
        dots = [m.end() for m in _DOT.finditer(text) if not _decimal_point(text, m.start())]
        self.sentence_ends = sorted(ends + dots) if dots else ends
        years = list(_YEAR_IN.finditer(text))
        self.reason_spans = self._reason_spans(text) if years else []
        self.years = [(m.start(), int(m.group(1))) for m in years]
        self.year_ends = [m.end() for m in years]
        terms = self._with_list_parts(self._with_bare_totals(self._with_ambiguous_totals(self.lex.find_terms(text))))
        self.heading_subjects = self._heading_subjects(terms)
        self.concept_sections = self._concept_sections(terms)
        reader = TableReader(self.lex, self)
        figures, in_tables = [], set()
        for table in tables:
            read = reader.read(table, norm)
            if read is None:
                continue
            figures += read
            in_tables.update(range(norm.norm_pos(table.start), norm.norm_pos(table.end)))
        figures += self._line_items_from_markers()
        figures += self._facts_and_classes(terms, self._covered(figures) | in_tables)
        figures += self._numbered_kinds(self._covered(figures) | in_tables)
        figures += self.joint
        figures.sort(key=lambda f: f.start)
        figures += self._carried_subject_facts(figures, in_tables)
        figures.sort(key=lambda f: f.start)
        figures += self._entry_restatements(figures, in_tables)
        figures.sort(key=lambda f: f.start)
        self._inherit_from_list_head(figures)
        figures = self._without_parts_of_lines(figures)
        figures += self._changes(figures)
        figures += self.stated_budgets
        figures.sort(key=lambda f: f.start)
        self._adjusted_by_note(figures)
        self._assign_entities(figures)
        self._assign_categories(figures)
        return figures, self.extra

    def _assign_categories(self, figures: list[Figure]) -> None:
        """A count's kind of staff (context.yaml count_categories), the last one named in its item
        before it (行政编制115人,实有人数107人;事业编制31人,实有人数26人): counts of two kinds are two
        figures, not one stated twice."""
        if self.count_category is None:
            return
        for f in figures:
            if f.kind != "fact" or not f.concept or not f.concept.startswith("staffing."):
                continue
            item_start = max(self.text.rfind(mark, 0, f.start) for mark in "；;。\n") + 1
            found = list(self.count_category.finditer(self.text, item_start, f.start))
            if found:
                f.category = found[-1].group()

    def _reason_spans(self, text: str) -> list[tuple[int, int]]:
        """Where each reason runs (主要是 … to its item's end), in order."""
        spans = []
        for m in self.reason_word.finditer(text):
            end = _REASON_END.search(text, m.end())
            spans.append((m.start(), end.start() if end else len(text)))
        return spans

    def _reason_around(self, pos: int) -> tuple[int, int] | None:
        return _span_at(self.reason_spans, pos)

    def _sentence_year(self, pos: int, sent_start: int) -> int | None:
        """The last year stated in the sentence before ``pos``; a year inside a reason is the year of
        that reason's figures only (…较上年下降21%,主要是2016年开展公车改革;公务接待费430万元: not 2016)."""
        k = bisect_right(self.year_ends, pos) - 1
        own = _UNSEEN
        while k >= 0 and self.years[k][0] >= sent_start:
            span = self._reason_around(self.years[k][0]) if self.reason_spans else None
            if span is None:
                return self.years[k][1]
            if own is _UNSEEN:
                own = self._reason_around(pos)
            if span == own:
                return self.years[k][1]
            k -= 1
        return None

    def _assign_entities(self, figures: list[Figure]) -> None:
        """Each fact's body, where the page opens paragraphs with two bodies or more (context.yaml
        entity_names): the last one named before it."""
        if self.entity_openers is None or not any(name in self.text for name in self.entity_names):
            return
        openings = [(m.start(), m.group(1)) for m in self.entity_openers.finditer(self.text)]
        if len({name for _, name in openings}) < 2:
            return
        starts = [pos for pos, _ in openings]
        for f in figures:
            k = bisect_right(starts, f.start) - 1
            if f.kind == "fact" and k >= 0:
                f.entity = openings[k][1]

    def _adjusted_by_note(self, figures: list[Figure]) -> None:
        """The document's own year's budgeted figures of the concepts a note declares adjusted
        (context.yaml adjusted_budget_notes) are of the adjusted budget."""
        for pattern, prefix in self.adjusted_notes:
            if not pattern.search(self.text):
                continue
            for f in figures:
                if f.kind == "fact" and (f.concept or "").startswith(prefix) and f.phase == "budgeted" \
                        and f.fiscal_year == self.info.fiscal_year:
                    f.phase = "adjusted"

    @staticmethod
    def _inside_a_term(starts: list[int], terms: list[tuple], s: int, e: int) -> bool:
        """Whether text[s:e] overlaps one of ``terms`` (sorted, not overlapping; ``starts`` their starts)."""
        k = bisect_right(starts, s)
        return (k > 0 and terms[k - 1][1] > s) or (k < len(terms) and terms[k][0] < e)

    def _with_ambiguous_totals(self, terms: list[tuple]) -> list[tuple]:
        """``terms`` and the 总收入/总支出 whose concept the page shows (context.yaml ambiguous_totals)."""
        if not self.totals_sides or not self.totals_term.search(self.text):
            return terms
        starts = [t[0] for t in terms]
        stated = []        # (start, end, side, year, value, a part named after it)
        for m in self.totals_term.finditer(self.text):
            s, e = m.span()
            if self._inside_a_term(starts, terms, s, e):
                continue                        # inside a longer term
            left = self._clause_left(s)
            if self.totals_not_after.search(left):
                continue
            filler = self.filler.match(self.text, e)
            q = self.qty_at.get(filler.end())
            if q is None or q.kind != "money":
                continue
            year, _, _ = self._year_phase(left, filler.group(), s)
            part = self.totals_part_after.match(self.text, q.end) is not None
            stated.append((s, e, self.totals_sides[m.group()], year, q.value, part))
        added = []
        for s, e, side, year, value, part in stated:
            others = [o[4] for o in stated if o[2] != side and o[3] == year]
            if part or value in others:
                added.append((s, e, "concept", self.totals_whole))
            elif others and self.totals_own.get(side):
                added.append((s, e, "concept", self.totals_own[side]))
        return sorted(terms + added) if added else terms

    def _with_bare_totals(self, terms: list[tuple]) -> list[tuple]:
        """``terms`` and the 收入/支出 that open a clause with only a year before them and an amount
        after them (context.yaml bare_totals): 2018年收入737615447元,支出743452949.21元."""
        added, revenue_ends = [], None
        last_amount_end, starts = -1, [t[0] for t in terms]
        for s, word in _occurrences(self.text, self.bare_totals):
            e = s + len(word)
            # the clause before the word is a year, 本年/全年/当年 or nothing (clause_before): only a
            # word after 年, 度 or a clause mark can be one
            if (s and self.text[s - 1] not in _BARE_TOTAL_AFTER) or self._inside_a_term(starts, terms, s, e):
                continue
            k = bisect_right(self.clause_starts, s) - 1
            opening = self.clause_starts[k] if k >= 0 else 0
            if opening and self.text[opening - 1] not in ",，。;；:：\n":
                continue                     # a clause inside parentheses: （财政拨款）支出
            before = self.text[opening:s].strip()
            # the other side right after the first (…收入737615447元,支出…) needs no year of its own
            pair = not before and opening > 0 and self.text[opening - 1] in ",，"
            if pair and opening - 1 != last_amount_end:
                revenue_ends = self._revenue_total_ends(terms) if revenue_ends is None else revenue_ends
                pair = opening - 1 in revenue_ends
            if not (pair or self.bare_total_before.match(before)):
                continue
            q = self.qty_at.get(self.filler.match(self.text, e).end())
            if q is not None and q.kind == "money":
                added.append((s, e, "concept", self.bare_totals[word]))
                last_amount_end = q.end
        return sorted(terms + added) if added else terms

    def _revenue_total_ends(self, terms: list[tuple]) -> set[int]:
        """Where the amounts of the year's revenue total stated by its name end (预算内收入安排655.55万元)."""
        concept = self.bare_totals.get("收入")
        return {q.end for t in terms if t[2] == "concept" and t[3] == concept
                and (q := self.qty_at.get(self.filler.match(self.text, t[1]).end())) is not None}

    def _with_list_parts(self, terms: list[tuple]) -> list[tuple]:
        """``terms`` and the short words that name a part in the list after a figure
        (context.yaml list_parts): 其中:货物13.99万元 after 政府采购总额."""
        added, starts = [], [t[0] for t in terms]
        for start, end, kind, ident in terms:
            if kind != "concept" or ident not in self.list_parts:
                continue
            words, parts = self.list_parts[ident]
            _, sent_end = self._sentence_bounds(start)
            opener = self.list_opener_any.search(self.text, end, sent_end)
            if opener is None:
                continue
            for m in words.finditer(self.text, opener.end(), sent_end):
                filler = self.filler.match(self.text, m.end())
                q = self.qty_at.get(filler.end())
                if q is not None and q.kind == "money" and not self._inside_a_term(starts, terms, m.start(), m.end()):
                    added.append((m.start(), m.end(), "concept", parts[m.group()]))
        return sorted(terms + added) if added else terms

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

    def _scale_at(self, pos: int, since: int | None = None) -> tuple[Decimal, bool]:
        """The unit declared (单位：万元) shortly before ``pos`` and True, else the usual one and False.
        ``since``: a declaration after this position holds however far back it is (a table's
        单位：元 holds for its last row too, many pages down)."""
        k = bisect_left(self.unit_decls, (pos,))
        if k and (pos - self.unit_decls[k - 1][0] < 4000 or (since is not None and self.unit_decls[k - 1][0] >= since)):
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
        row_number = _ROW_NUMBER.match(self.text, pos) if self.row_numbered else None
        if row_number:
            # 一般公共预算财政拨款收入 1 4,627.57 一般公共服务支出: 1 is the 行次, the next cell follows
            m = self.finder.bare.match(self.text, row_number.end())
        else:
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
        year = self._sentence_year(pos, sent_start)
        if year is None:
            year = self.info.fiscal_year
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
        semi = _ITEM_END.search(self.text, m.end(), sent_end)      # ；公务用车运行维护费…: the next item's
        end = min(sent_end, nxt.start() if nxt else sent_end, semi.start() if semi else sent_end,
                  m.end() + _TRAILING_SPAN)
        change = Change(compared_year=fig.fiscal_year - 1, compared_phase=fig.phase, implicit=True)
        self._read_verbs(change, m.start("verb"), m.start("verb"), end)
        if change.direction is not None:
            fig.change = change

    def _rates(self, fig: Figure, pos: int) -> int:
        """Completion rate and share after the amount (完成预算的88.7%, 占36%); the position after them."""
        end = self._rates_at(fig, pos)
        if end == pos and fig.completion is None and (change := _CHANGE_SPAN.match(self.text, pos)) is not None:
            self._completion_after_change(fig, change.end())
        return end

    def _completion_after_change(self, fig: Figure, pos: int) -> None:
        """…支出4,855万元,比上年减支433万元,降低8.19%,为年初预算数6180万元的78.56%: the completion
        rate after the figure's change clause is the figure's (the change clause stays the change's)."""
        m = self.completion.match(self.text, pos)
        q = self.qty_at.get(m.end()) if m else None
        if q is not None and q.kind == "money":
            q = self._stated_budget(fig, q)
        if q is not None and q.kind == "percent":
            fig.completion = q
            self.used.add(q.start)

    def _rates_at(self, fig: Figure, pos: int) -> int:
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
                    if fig.kind == "fact" and fig.share_base:
                        fig.concept = self.narrowed_by.get(fig.concept, {}).get(fig.share_base, fig.concept)
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
        m = _OF.match(self.text, budget.end)
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
            other = self.blocked_right_by_concept.get(ident)
            if other is not None and other.match(self.text, end):
                continue
            elsewhere = self.blocked_in_sentence_by_concept.get(ident)
            if elsewhere is not None and elsewhere.search(self.text, self._sentence_bounds(start)[0], start):
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
        if amount is None and "、" in self.text[start:end]:
            return self._joint_sides(start, end, concept_id, *self._year_phase(left, filler, start, self.text[start:end]))
        if amount is None:
            return self._nil(start, end, concept, left, filler)
        year, phase, stated = self._year_phase(left, filler, start, self.text[start:end])
        self.used.add(amount.start)
        term = self.text[start:end]
        compared = _OPEN_COMPARISON.search(left)
        if compared and _CLOSE_COMPARISON.match(self.text, amount.end):
            year = int(compared.group(1))      # 与2018年一般公共预算“三公”经费总额27389.54万元相比: of 2018
        fig = Figure("fact", amount, amount.value, concept.unit if concept.unit == "CNY" else amount.unit,
                     start, amount.end, year, phase, concept_id, unit_inferred=amount.unit_inferred,
                     phase_stated=stated, side=side_of(term), term=term)
        if concept_id in self.fund_scoped:
            sent_start, _ = self._sentence_bounds(start)
            found = self.fund_words.findall(self.text, sent_start, start)
            fig.fund = found[-1] if found else None
            opening = self.fund_words.match(self.text, self._after_year(sent_start))
            if opening and opening.group() == fig.fund:
                fig.concept = self.fund_concepts.get(fig.fund, {}).get(fig.concept, fig.concept)
        self._attributes(fig, amount.end)
        return fig

    def _nil(self, start, end, concept, left, filler) -> Figure | None:
        """A term stated to be nil: 无政府采购支出, 无因公出国(境)费用预算 (before it), 因公出国(境)费用没有
        (after it). Zero, of the clause's year and phase."""
        if concept.unit != "CNY":
            return None
        before = self.nil_prefix.search(left)
        words = filler.strip(" ,，")
        if before and self.nil_filler.fullmatch(words) and (not words or _CLAUSE_END.match(self.text, end + len(filler.rstrip(" ,，")))):
            nil_start, nil_end = start - (len(left) - before.start()), end
        elif after := self.nil_suffix.match(self.text, end):
            nil_start, nil_end = start, after.end()
        else:
            return None
        year, phase, stated = self._year_phase(left, filler, start, self.text[start:end])
        return Figure("fact", None, Decimal(0), "CNY", nil_start, nil_end, year, phase, concept.id, phase_stated=stated)

    def _after_year(self, pos: int) -> int:
        """Past the white space, outline number and year that open a sentence (1.2018年度 …)."""
        return _OPENING.match(self.text, pos).end()

    def _joint_sides(self, start, end, concept_id, year, phase, stated) -> Figure | None:
        """收、支总计各是4125.49,4143.91万元: the two sides of a joint term, in order, the first
        number taking the unit of the second."""
        m = _EACH_SIDE.match(self.text, end)
        if m is None:
            return None
        second = self.qty_at.get(m.start("second"))
        if second is None or second.kind != "money":
            return None
        number = Decimal(m.group("first").replace(",", ""))
        first = Amount(m.group("first"), number * second.scale, "CNY", "money", second.scale, None,
                       m.start("first"), m.end("first"), unit_inferred=True)
        self.extra.append(first)
        figures = []
        for amount, side in ((first, "revenue"), (second, "expenditure")):
            self.used.add(amount.start)
            figures.append(Figure("fact", amount, amount.value, "CNY", start, amount.end, year, phase, concept_id,
                                  unit_inferred=amount.unit_inferred, phase_stated=stated, side=side))
        self.joint.append(figures[1])
        return figures[0]

    def _concept_sections(self, terms: list[tuple]) -> list[tuple[int, int]]:
        """Sections headed by a line that names one concept alone (一、因公出国(境)经费 / (三)公务接待费
        支出情况): from the heading's term to the next outline heading. A sentence there that states
        only a year and phase (2015年预算数15万元) is about the section's last figure."""
        out = []
        for start, end, kind, _ in terms:
            if kind != "concept":
                continue
            if start == 0 or self.text[start - 1] not in _MARK_ENDS:
                continue                  # no outline mark right before the term: no heading
            tail = _HEADING_TAIL.match(self.text, end)
            if not self._line_ends(tail.end()):
                continue
            mark = _OUTLINE_MARK.search(self.text, max(0, start - 16), start)
            if mark is None or not self._line_ends(mark.start()):
                continue
            nxt = _OUTLINE_LINE.search(self.text, tail.end())
            out.append((start, nxt.start() if nxt else len(self.text)))
        return out

    def _line_ends(self, pos: int) -> bool:
        """Whether a line of the document ends (and the next begins) at ``pos``: a line break there,
        or one that the normalization joined (a heading line without a stop before the next line)."""
        if pos >= len(self.text) or self.text[pos] == "\n" or not pos or self.text[pos - 1] == "\n":
            return True
        if self.norm is None:
            return False
        return "\n" in self.norm.original[self.norm.orig(pos - 1) + 1:self.norm.orig(pos)]

    def _concept_section(self, pos: int) -> tuple[int, int] | None:
        return _span_at(self.concept_sections, pos)

    def _heading_subjects(self, terms: list[tuple]) -> dict[int, str]:
        """Sentences that are a heading naming a concept alone ((二)公务接待费。): where the sentence
        after them begins, and the concept it is about."""
        out = {}
        for start, end, kind, ident in terms:
            if kind != "concept" or self.text[end:end + 1] not in "。 \t\u3000":
                continue
            stop = _HEADING_STOP.match(self.text, end)
            if stop and _OUTLINE_ONLY.fullmatch(self.text[self._sentence_bounds(start)[0]:start]):
                out[stop.end()] = ident
        return out

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
            heading = self.heading_subjects.get(clause_start)
            after_mark = self.text[clause_start - 1:clause_start] in ",，;；"
            section = None if heading or after_mark else self._concept_section(clause_start)
            if not words.strip() or not (heading or after_mark or section) or not self.filler.fullmatch(words):
                continue
            year_m = _YEAR_IN.search(words)
            if not (self.phase_word.search(words) or year_m):
                continue
            if heading is not None:
                out.append(self._under_heading(q, clause_start, words, heading, year_m))
                continue
            i = bisect_left(starts, clause_start) - 1
            sent_start, _ = self._sentence_bounds(q.start)
            if i < 0 or (subjects[i].start < sent_start and not (section and subjects[i].start >= section[0])):
                continue
            subject = subjects[i]
            year = int(year_m.group(1)) if year_m else subject.fiscal_year
            phase, stated = self._phase_of(words, (subject.phase, subject.phase_stated))
            self.used.add(q.start)
            fig = Figure("fact", q, q.value, "CNY", clause_start, q.end, year, phase, subject.concept,
                         unit_inferred=q.unit_inferred, phase_stated=stated)
            # …支出2.05万元,年初预算为2.95万元,差值为0.9万元: the budget a difference is taken from is
            # the figure compared with, and no list after it breaks it down
            fig.compared = bool(self.difference_verb.match(self.text, _PAST_COMMA.match(self.text, q.end).end()))
            self._attributes(fig, q.end)
            out.append(fig)
            subjects.insert(i + 1, fig)
            starts.insert(i + 1, fig.start)
        return out

    def _under_heading(self, q: Amount, clause_start: int, words: str, concept: str, year_m) -> Figure:
        """(二)公务接待费。2021年预算支出11.77万元,比2020年预算减少0.13万元: the heading's concept."""
        phase, stated = self._phase_of(words, (self.info.phase, False))
        self.used.add(q.start)
        fig = Figure("fact", q, q.value, "CNY", clause_start, q.end,
                     int(year_m.group(1)) if year_m else self.info.fiscal_year, phase, concept,
                     unit_inferred=q.unit_inferred, phase_stated=stated)
        self._attributes(fig, q.end)
        return fig

    def _entry_restatements(self, figures: list[Figure], in_tables: set[int]) -> list[Figure]:
        """The sentences after a prose line item that name no subject of their own are about it:
        “…（项）”45.41万元，主要用于…。2022年当年预算执行数为11.67万元，2023年预算安排45.41万元，比…增加
        314.82%. Each such clause (only a year and phase words before its amount) is a figure of the
        line, of the year and phase it states; one of the heading's year and phase restates it. The
        entry ends at the next figure, at the next numbered entry, or ENTRY_REACH characters on."""
        out = []
        starts = [f.start for f in figures]
        for i, head in enumerate(figures):
            if head.kind != "line_item" or head.table_ref is not None or head.restates is not None:
                continue
            end = min(starts[i + 1] if i + 1 < len(figures) else len(self.text), head.end + ENTRY_REACH)
            marker = _ENTRY_MARKER.search(self.text, head.end, end)
            end = marker.start() if marker else end
            k = bisect_right(self.qty_starts, head.end)
            while k < len(self.quantities) and self.quantities[k].start < end:
                q = self.quantities[k]
                k += 1
                fig = self._restatement(head, q, in_tables)
                if fig is not None:
                    out.append(fig)
        return out

    def _restatement(self, head: Figure, q: Amount, in_tables: set[int]) -> Figure | None:
        if q.kind != "money" or q.start in self.used or q.start in in_tables:
            return None
        c = bisect_right(self.clause_starts, q.start) - 1
        clause_start = self.clause_starts[c] if c >= 0 else 0
        words = self.text[clause_start:q.start]
        if clause_start <= head.end or not words.strip() or not self.filler.fullmatch(words):
            return None
        year_m = _YEAR_IN.search(words)
        if not (self.phase_word.search(words) or year_m):
            return None
        year = int(year_m.group(1)) if year_m else head.fiscal_year
        phase, stated = self._phase_of(words, (head.phase, head.phase_stated))
        self.used.add(q.start)
        fig = Figure("line_item", q, q.value, "CNY", clause_start, q.end, year, phase,
                     unit_inferred=q.unit_inferred, line=dict(head.line), phase_stated=stated)
        if (year, phase) == (head.fiscal_year, head.phase):
            fig.restates = head
        self._attributes(fig, q.end)
        return fig

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
                f.concept = self.narrowed_by.get(f.concept, {}).get(head.concept, f.concept)
                continue
            head = f

    def _without_parts_of_lines(self, figures: list[Figure]) -> list[Figure]:
        """机构运行 1100910.5 元,其中:基本支出 1100910.5 元,项目支出 0元: the parts a list gives of an
        amount that a function class, kind or item names (and that no figure reads) are that line's
        parts, not the document's figures."""
        out, drop_until = [], -1
        for f in figures:
            if f.kind == "fact" and f.table_ref is None:
                if f.start < drop_until:
                    continue
                head = self._line_head_of_list(f.start, f.concept in _LINE_SPLIT_PARTS)
                if head is not None:
                    drop_until = self._sentence_bounds(f.start)[1]
                    continue
            out.append(f)
        return out

    def _line_head_of_list(self, pos: int, split_part: bool) -> Amount | None:
        """The amount a 其中 list right before ``pos`` breaks down, when a line's name states it and
        no figure reads it. ``split_part``: the list's first part is 基本支出 or 项目支出, which a line
        of a name no list holds is split into too."""
        m = None
        for m in self.list_opener_any.finditer(self.text, max(0, pos - 8), pos):
            pass
        if m is None or self.text[m.end():pos].strip(" :：\t\n"):
            return None
        k = bisect_left(self.qty_starts, m.start()) - 1
        if k < 0:
            return None
        q = self.quantities[k]
        if q.kind != "money" or q.start in self.used or self.text[q.end:m.start()].strip(" ,，\t"):
            return None
        c = bisect_right(self.clause_starts, q.start) - 1
        words = self.text[self.clause_starts[c] if c >= 0 else 0:q.start].strip(" \t\n")
        if not words or self.filler.fullmatch(words) or _YEAR_IN.search(words) or self.change_verb.search(words):
            return None               # a year's figure, or a change (比2022年增加250.41万元,其中:…): no line
        if any(self.lex.classification.known_suffix(level, words) == 0 for level in ("class", "kind", "item")):
            return q
        # a name the concept list does not hold, of a line not in the partial classification list
        # (机构运行, 其他技术研究与开发支出): its parts are its own too
        if not split_part or len(words) > 24 or any(t[2] == "concept" for t in self.lex.find_terms(words)):
            return None
        return q

    def _opens_list(self, head_end: int, pos: int) -> bool:
        """A list opener (其中) right after the head figure (its clause, or the next sentence's start)
        and before ``pos`` in one sentence."""
        m = self.list_opener_any.search(self.text, head_end, pos)
        if m is None or _SENTENCE_MARKS.search(self.text, m.end(), pos):
            return False
        return len(self.text[head_end:m.start()].strip(" 。\n,，;；:：")) <= 12

    def _phase_of(self, words: str, otherwise: tuple[str, bool]) -> tuple[str, bool]:
        """The phase the clause's words state, and True; else ``otherwise`` (phase, whether stated)."""
        if self.executed_words.search(words):
            return "executed", True        # 预算执行数: what was spent of the budget
        if "预算" in words and "决算" not in words:
            return "budgeted", True
        if "决算" in words or "执行" in words:
            return "executed", True
        return otherwise

    def _class_item(self, start, end, code, left, class_terms) -> Figure | None:
        row = self.lex.classification.by_code[code]
        amount, filler = self._bind(start, end, "CNY", self.line_filler)
        if amount is None or self.line_revenue.search(filler):
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
    def _numbered_kinds(self, taken) -> list[Figure]:
        """1.人大事务1087万元,较上年增支204万元: an entry of a numbered list that names a kind (款) of
        the classification, and its amount, is that kind's line (its class the kind's own)."""
        out = []
        c = self.lex.classification
        for m in _NUMBERED_NAME.finditer(self.text):
            name_start, name_end = m.span("name")
            if name_start in taken:
                continue
            name = m.group("name")
            if c.lookup("kind", name) is None:
                continue
            amount, filler = self._bind(name_end, name_end, "CNY", self.line_filler)
            if amount is None or amount.start in self.used or amount.start != name_end:
                continue
            out.append(self._line_figure(name_start, amount, filler, self._resolve(None, name, None, name_start)))
        return out

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
        return self._line_figure(first_start, amount, filler,
                                 self._resolve(names["类"], names["款"], names["项"], first_start))

    def _line_figure(self, start: int, amount: Amount, filler: str, line: dict) -> Figure:
        """A prose line item from ``start`` to its amount, of the year and phase its words state."""
        year, phase, stated = self._year_phase("", filler, start)
        self.used.add(amount.start)
        fig = Figure("line_item", amount, amount.value, "CNY", start, amount.end, year, phase,
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
            "class": c.standard_name(cls, cls_name) if cls else cls_name,
            "kind": c.standard_name(kind, kind_name) if kind else kind_name,
            "item": c.standard_name(item, item_name) if item else item_name,
            "function_code": deepest.code if deepest else None,
            "cofog": cls.cofog if cls else None,
            "code_source": "lexicon" if deepest else None,
        }
