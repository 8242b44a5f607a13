"""Change clauses: 与上年相比 … 增加 … 上升 …, 较上年1174万元减少40万元, 各增加A、B.

A change attaches to the figure it is about and never creates a level of its own; the figure it
compares with (较上年1174万元, 与年初预算3.2万元相比) becomes a figure of the compared year and
phase. The words are data in ``lexicons/context.yaml``; the scanning state (text, quantities,
sentence bounds) is the interpreter's, of which this is a part.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal

from .quantities import Amount

_PAREN_OPEN = re.compile(r"\s*\(\s*")
_PAST_MARK = re.compile(r"[。!?;；\n]?\s*")
_ITEM_END = re.compile(r"[;；]")
_LIST_SEP = re.compile(r"[、,，]")
_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RATE_AFTER = re.compile(r"[,，]\s*(?P<verb>增长|增加|上升|下降|减少|降低)(?:了|幅度?为?|率为?)?")
_RATE_TOLERANCE = Decimal("0.005")       # a stated rate against the one its figures give
_CLAUSE_END = re.compile(r"[,，。;；]|$")
_SCALED_NUMBER = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<scale>万|亿)(?=[,，。;；]|$)")


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
    rate_text: str | None = None      # the rate as stated (its last digit bounds a check of it)
    unsigned: bool = False            # a difference (差值为0.5万元) whose sign the two figures must give


def _prior(value: Decimal, change: "Change") -> Decimal:
    """The figure compared with, from ``value`` and a signed change's amount."""
    return value - change.amount if change.direction == "increase" else value + change.amount


def _change_fits(value: Decimal, change: "Change") -> bool | None:
    """Whether a change's amount and rate agree with ``value`` as the current figure (None when
    the change does not state both)."""
    if change.amount is None or change.rate is None or change.direction not in ("increase", "decrease"):
        return None
    prior = _prior(value, change)
    if prior <= 0:
        return False
    return abs(change.amount / prior - change.rate) <= _RATE_TOLERANCE


def _complete(target, change: Change) -> None:
    """比上年预算增56400元,同比增长16.96%: a second clause of the same comparison states what the
    first left out (its rate, or its amount); taken when the directions agree and the two fit the
    figure together."""
    known = next(c for c in [target.change, *target.other_changes]
                 if (c.compared_year, c.compared_phase) == (change.compared_year, change.compared_phase))
    if known.direction != change.direction or known.unsigned or change.unsigned:
        return
    merged = Change(**{**vars(known)})
    if merged.rate is None and change.rate is not None and change.amount is None:
        merged.rate, merged.rate_text = change.rate, change.rate_text
    elif merged.amount is None and change.amount is not None and change.rate is None:
        merged.amount, merged.amount_q = change.amount, change.amount_q
    else:
        return
    if _change_fits(target.value, merged) is False:
        return
    merged.evidence = (min(known.evidence[0], change.evidence[0]), max(known.evidence[1], change.evidence[1]))
    merged.implicit = known.implicit and change.implicit
    if target.change is known:
        target.change = merged
    else:
        target.other_changes[target.other_changes.index(known)] = merged


def _difference_not_base(change: Change, target, base) -> bool:
    """较2023年度决算数38.31万元,下降6.31% after 568.5万元: the amount after the comparison word
    does not fit the stated rate as the figure compared with, and fits it as the difference (its
    verb left out): it is the difference."""
    if change.rate is None or change.direction not in ("increase", "decrease") or base.value <= 0:
        return False
    as_base = abs(target.value - base.value) / base.value
    if abs(as_base - change.rate) <= _RATE_TOLERANCE:
        return False
    return _change_fits(target.value, Change(amount=base.value, rate=change.rate, direction=change.direction)) is True


def _direction_only(change: Change) -> bool:
    """较上年预算减少: a change that states neither amount nor rate gives way to one that does."""
    return change.amount is None and change.rate is None and change.direction != "flat"


def _against_budget(change: Change, fig) -> bool:
    return change.compared_phase == "budgeted" and change.compared_year == fig.fiscal_year


def _rather(new: Change, old: Change, fig) -> bool:
    """Whether ``new`` is the figure's change rather than ``old``: the prior year's comparison
    rather than the budget's; of the same year, the one of the figure's own phase (比上年预算数下降
    35.45%,比上年决算数下降34.26% of a 决算 figure: the latter)."""
    if _against_budget(old, fig) and not _against_budget(new, fig):
        return True
    return new.compared_year == old.compared_year and new.compared_phase == fig.phase != old.compared_phase


class ChangeClauses:
    """The change-clause half of :class:`~extractors.interpret.Interpreter`."""

    def _changes(self, figures: list[Figure]) -> list[Figure]:
        """Attaches each change clause to the figure it is about; the figure it compares with
        (较上年1174万元, 与年初预算3.2万元相比) becomes a figure of its own, of the compared year and
        phase. Returns those new figures."""
        compares = list(self.compare.finditer(self.text))
        all_starts = [f.start for f in figures]          # figures come sorted by start
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
            self._item_changes(m, change, until, subjects, starts, figures)
            inside = self._figure_inside(m, change, figures, all_starts)
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
            target = target.restates or target     # the sentence restates the line's heading figure
            if target.fiscal_year is not None and inside is None \
                    and (change.compared_year, change.compared_phase) == (target.fiscal_year, target.phase):
                # 2015年预算数15万元,2016年预算与2015年预算持平: no figure is compared with itself; the
                # change is of the concept's figure of another year before it
                target = self._same_concept_other_year(subjects, starts, m.start(), target)
                if target is None:
                    continue
            base = inside or self._compared_figure(m, change, target)
            if base is None and self._base_of_another(m, change, target):
                continue
            if change.unsigned and not self._signed(change, target, base):
                continue
            if change.amount is None and base is not None:
                if inside is None and _difference_not_base(change, target, base):
                    change.amount, change.amount_q, base = base.value, base.amount, None
                else:
                    self._unworded_difference(change, target, base)
            if base is not None and base not in figures:
                added.append(base)
            if target.change is None or (_direction_only(target.change) and not _direction_only(change)):
                target.change = change
            elif _rather(change, target.change, target) and not target.other_changes:
                target.other_changes.append(target.change)   # the prior year's comparison is the change
                target.change = change
            elif all((c.compared_year, c.compared_phase) != (change.compared_year, change.compared_phase)
                     for c in [target.change, *target.other_changes]):
                target.other_changes.append(change)
            else:
                _complete(target, change)
        return added

    @staticmethod
    def _signed(change: Change, target: Figure, base: Figure | None) -> bool:
        """A difference's sign from the figure and the one compared with, when the clause names it
        and the two differ by the stated amount; else the difference stays unread."""
        if base is None or abs(abs(target.value - base.value) - change.amount) > max(change.amount, 1) * Decimal("0.01"):
            return False
        change.direction = "increase" if target.value > base.value else "decrease"
        change.unsigned = False
        return True

    def _unworded_difference(self, change: Change, target: Figure, base: Figure) -> None:
        """较2022年决算数688.84万元131.49万元,增长19.09%: an amount right after the figure compared
        with, its verb left out, is the change when it is the difference of the two figures."""
        q = self.qty_at.get(self._skip_filler(base.end))
        if q is None or q.kind != "money" or q.start in self.used:
            return
        difference = target.value - base.value
        direction = "increase" if difference > 0 else "decrease"
        if abs(abs(difference) - q.value) > q.scale / 100 or change.direction not in (None, direction):
            return
        change.amount, change.amount_q, change.direction = q.value, q, direction
        self.used.add(q.start)

    def _read_verbs(self, change: Change, evidence_start: int, pos: int, end: int) -> None:
        """The change verbs from ``pos`` to ``end``: 减少40万元, 下降3%, 持平, 增加1.5万元(42.86%)."""
        for v in self.change_verb.finditer(self.text, pos, end):
            direction = self.verb_dir[v.group("verb")]
            if change.verb_start is None:
                change.verb_start = v.start()
            if direction == "flat":
                if change.direction is None:     # 持平: flat, with no amount or rate stated
                    change.direction = "flat"
                    change.evidence = (evidence_start, v.end())
                break
            at = self._skip_filler(v.end())
            q = self.qty_at.get(at) or self._scaled_number(at, end)
            if q is None:
                if change.direction is None and v.start() == pos and _CLAUSE_END.match(self.text, at):
                    change.direction = direction     # 较上年预算减少; : the direction alone
                    change.evidence = (evidence_start, v.end())
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
                change.rate, change.rate_text = q.value, q.text
            self.used.add(q.start)
            change.evidence = (evidence_start, q.end)
        for r in self.rate_word.finditer(self.text, pos, end):
            q = self.qty_at.get(r.end())
            if q is not None and q.kind == "percent" and change.rate is None:
                change.rate, change.rate_text = q.value, q.text
                self.used.add(q.start)
                change.evidence = (evidence_start, q.end)
        if change.direction is None:
            self._read_difference(change, evidence_start, pos, end)
        if (change.amount == 0 and not change.rate) or (change.rate == 0 and not change.amount):
            change.direction = "flat"            # 减少0万元, 下降0%: no change at all
            change.unsigned = False

    def _read_difference(self, change: Change, evidence_start: int, pos: int, end: int) -> None:
        """差值为0.5万元, 相差0.00万元: an amount without its sign (context.yaml difference_verbs)."""
        for v in self.difference_verb.finditer(self.text, pos, end):
            q = self.qty_at.get(self._skip_filler(v.end()))
            if q is not None and q.kind == "money":
                change.amount, change.amount_q, change.unsigned = q.value, q, True
                change.verb_start = change.verb_start if change.verb_start is not None else v.start()
                change.evidence = (evidence_start, q.end)
                self.used.add(q.start)
                return

    def _scaled_number(self, pos: int, end: int) -> Amount | None:
        """减少2万。: a change amount written with its scale and no 元, at a clause end, is money of
        that scale."""
        m = _SCALED_NUMBER.match(self.text, pos, end)
        if m is None:
            return None
        scale = self.lex.multipliers[m.group("scale")]
        amount = Amount(m.group(), Decimal(m.group("n")) * scale, "CNY", "money", scale, None, m.start(), m.end(),
                        unit_inferred=True)
        self.extra.append(amount)
        return amount

    def _rate_in_parentheses(self, pos: int) -> Amount | None:
        """减少18.50万元(65.37%): the rate in parentheses after the amount."""
        m = _PAREN_OPEN.match(self.text, pos)
        if m is None:
            return None
        q = self.qty_at.get(m.end())
        if q is None or q.kind != "percent" or not self.text.startswith(")", q.end):
            return None
        return q

    def _item_changes(self, m, change: Change, until: int, subjects, starts, figures) -> None:
        """其中:因公出国(境)费支出决算减少0万元,降低0%;公务接待费支出决算增加0.01万元…: after a
        comparison, each item of the list that names a term and a change verb has a change of its
        own, against the same year and phase."""
        opener = self.list_opener_any.search(self.text, m.end(), until)
        own_comparisons = False
        if opener is None:
            nxt = self.list_opener_any.match(self.text, self._after_mark(until))
            if nxt is None:
                return
            next_end = self._sentence_bounds(nxt.end())[1]
            opener, until = nxt, next_end               # …增长4.8%。其中:… (an item with a comparison
            own_comparisons = True                      # of its own is that comparison's)
        items = [t for t in self.lex.find_terms(self.text[opener.end():until]) if t[2] == "concept"]
        for i, (a, b, _, concept) in enumerate(items):
            start, end = opener.end() + a, opener.end() + b
            verb_at = self.filler.match(self.text, end).end()
            item_end = opener.end() + items[i + 1][0] if i + 1 < len(items) else until
            if own_comparisons and self.compare.search(self.text, start, item_end):
                continue
            if not self.change_verb.match(self.text, verb_at):
                self._unworded_item_change(m, change, concept, start, verb_at, item_end, subjects, starts, figures)
                continue
            own = Change(compared_year=change.compared_year, compared_phase=change.compared_phase,
                         phase_stated=change.phase_stated)
            self._read_verbs(own, start, verb_at, item_end)
            if own.direction is None:
                continue
            target = self._same_concept_before(subjects, starts, m.start(), concept)
            if target is not None and (target.change is None or _direction_only(target.change)):
                target.change = own

    def _unworded_item_change(self, m, change: Change, concept: str, start: int, at: int, item_end: int,
                              subjects, starts, figures) -> None:
        """其中:…公务用车购置及运行费支出决算174,732.10元,增长176.55%: an item of a list of changes whose
        verb was left out states its change, not a figure, when that amount and the rate after it fit
        the concept's figure as its change. The amount read as a figure is then no figure."""
        q = self.qty_at.get(at)
        verb = _RATE_AFTER.match(self.text, q.end) if q is not None and q.kind == "money" else None
        rate = self.qty_at.get(verb.end()) if verb else None
        if rate is None or rate.kind != "percent" or rate.end > item_end:
            return
        target = self._same_concept_before(subjects, starts, m.start(), concept)
        if target is None or target.change is not None:
            return
        own = Change(q.value, rate.value, self.verb_dir[verb.group("verb")], change.compared_year,
                     change.compared_phase, evidence=(start, rate.end), amount_q=q, verb_start=verb.start("verb"),
                     phase_stated=change.phase_stated, rate_text=rate.text)
        if _change_fits(target.value, own) is not True:
            return
        misread = next((f for f in figures if f.amount is q), None)
        if misread is not None:
            figures.remove(misread)
            if misread in subjects:
                k = subjects.index(misread)
                del subjects[k], starts[k]
        target.change = own
        self.used.update((q.start, rate.start))

    def _after_mark(self, pos: int) -> int:
        """Past the sentence mark at ``pos`` and the white space after it."""
        return _PAST_MARK.match(self.text, pos).end()

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
        if len(figures) != len(amounts) or not self._listed_before(figures, subjects, starts, sent_start):
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

    def _listed_before(self, figures, subjects, starts, sent_start: int) -> bool:
        """The figures a 各 list is about: in its sentence, or all the figures of the sentence
        before it (收、支总计各是4125.49,4143.91万元。与2021年相比,收、支总计各减少…)."""
        if figures[0].start >= sent_start:
            return True
        if sent_start == 0:
            return False
        before = self._sentence_bounds(sent_start - 1)[0]
        return bisect_left(starts, sent_start) - bisect_left(starts, before) == len(figures) \
            and figures[0].start >= before

    def _listed(self, pos: int, until: int, kind: str) -> list[Amount]:
        """Amounts of one kind listed with 、 or a comma from ``pos``: 1412.7万元、2062.79万元; a bare
        number before the list's last amount takes its unit (1267.86,2570.97万元)."""
        out: list[Amount] = []
        bare: list[re.Match] = []
        at = self._skip_filler(pos)
        while at < until:
            q = self.qty_at.get(at)
            if q is not None:
                if q.kind != kind or q.end > until:
                    break
                out += [self._inferred(b, q) for b in bare]
                bare = []
                out.append(q)
                end = q.end
            else:
                m = self.finder.bare.match(self.text, at)
                if m is None or m.end() > until:
                    break
                bare.append(m)
                end = m.end()
            sep = _LIST_SEP.match(self.text, end)
            if sep is None:
                break
            at = sep.end()
        for q in out:
            self.used.add(q.start)
        return out

    def _inferred(self, m: re.Match, twin: Amount) -> Amount:
        number = Decimal(m.group().replace(",", ""))
        amount = Amount(m.group(), number * twin.scale, twin.unit, twin.kind, twin.scale, None, m.start(), m.end(),
                        unit_inferred=True)
        self.extra.append(amount)
        return amount

    def _fitting_subject(self, target: Figure, change: Change, subjects, sent_start: int, pos: int) -> Figure | None:
        """A change whose amount and rate do not fit the figure before it, but fit another amount of
        the sentence (the total a 其中 list breaks down), is that amount's: its figure's, or nobody's
        that was read."""
        if _change_fits(target.value, change) is not False:
            return target
        if target.start < sent_start:        # the clause opens its sentence: the figures are of the one before,
            sent_start = self._sentence_bounds(target.start)[0]
            if sent_start and self.list_opener_any.match(self.text, self._after_mark(sent_start)):
                sent_start = self._sentence_bounds(sent_start - 1)[0]    # and the whole its 其中 list breaks down
        k = bisect_left(self.qty_starts, sent_start)
        while k < len(self.quantities) and self.quantities[k].start < pos:
            q = self.quantities[k]
            if q.kind == "money" and _change_fits(q.value, change):
                return next((f for f in subjects if f.amount is q), None)
            k += 1
        return target

    def _figure_inside(self, m: re.Match, change: Change, figures, starts) -> Figure | None:
        """A figure read between the comparison word and its verb (较2014年三公经费合计16.08万元增加…)
        is the figure compared with: it takes the compared year and phase."""
        if change.compared_year is None:
            return None
        end = change.verb_start if change.verb_start is not None else m.end()
        k = bisect_left(starts, m.start() + 1)
        while k < len(figures) and figures[k].start < end:
            f = figures[k]
            if f.kind == "fact" and f.table_ref is None:
                f.fiscal_year, f.phase, f.compared = change.compared_year, change.compared_phase, True
                f.phase_stated = f.phase_stated or change.phase_stated
                return f
            k += 1
        return None

    @staticmethod
    def _same_concept_before(subjects, starts, pos: int, concept: str) -> Figure | None:
        k = bisect_left(starts, pos)
        for f in reversed(subjects[max(0, k - 50):k]):
            if f.concept == concept and not f.compared and pos - f.end < 3000:
                return f
        return None

    @staticmethod
    def _same_concept_other_year(subjects, starts, pos: int, fig: Figure) -> Figure | None:
        k = bisect_left(starts, pos)
        for f in reversed(subjects[max(0, k - 50):k]):
            if f.concept == fig.concept and f.fiscal_year != fig.fiscal_year and f.phase == fig.phase \
                    and not f.compared and pos - f.end < 3000:
                return f
        return None

    @staticmethod
    def _same_concept_after(subjects, starts, pos: int, concept: str) -> Figure | None:
        """The first figure of ``concept`` stated after ``pos`` (an overview's change clause whose
        figure the details after it give)."""
        k = bisect_right(starts, pos)
        for f in subjects[k:k + 50]:
            if f.start - pos > 3000:
                break
            if f.concept == concept and not f.compared:
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
        amount = self._without_glued_year(amount, change, target)
        self.used.add(amount.start)
        from .interpret import Figure
        return Figure("fact", amount, amount.value, "CNY", m.start(), amount.end, change.compared_year,
                      change.compared_phase, target.concept, unit_inferred=amount.unit_inferred,
                      phase_stated=change.phase_stated, compared=True)

    def _without_glued_year(self, amount: Amount, change: Change, target: Figure) -> Amount:
        """与2019498.83万元相比 (年 left out): a figure compared with whose digits begin with the
        compared year is the rest of them, when the target and the change prove it."""
        year = str(change.compared_year or "")
        if not year or not amount.text.startswith(year) or change.amount is None \
                or change.direction not in ("increase", "decrease"):
            return amount
        prior = _prior(target.value, change)
        rest = amount.text[len(year):]
        number = _LEADING_NUMBER.match(rest)
        if number is None or abs(Decimal(number.group()) * amount.scale - prior) > amount.scale / 100:
            return amount
        start = amount.start + len(year)
        fixed = Amount(rest, Decimal(number.group()) * amount.scale, amount.unit, amount.kind, amount.scale,
                       amount.qualifier, start, amount.end, unit_inferred=amount.unit_inferred)
        self.extra.append(fixed)
        return fixed

    def _base_of_another(self, m: re.Match, change: Change, target: Figure) -> bool:
        """The clause states the figure compared with, under a name the target is not (相比2016年的
        总支出7171.97增加606.58万元 after 基本支出7095.35万元), and the target minus the change is not it:
        the change is another figure's."""
        if change.amount_q is None or change.verb_start is None or change.direction not in ("increase", "decrease"):
            return False
        number = self.finder.bare.search(self.text, m.end(), change.verb_start)
        if number is None or self.qty_at.get(number.start()) is not None:
            return False
        stated = Decimal(number.group().replace(",", "")) * change.amount_q.scale
        prior = _prior(target.value, change)
        return abs(prior - stated) > max(abs(stated) * Decimal("0.01"), change.amount_q.scale / 100)

    def _skip_compare_words(self, pos: int, end: int) -> int | None:
        """Where the amount after 较上年 / 比上年决算数 starts, if only filler stands before it."""
        if self.text.startswith("的", pos):
            pos += 1                       # 较2024年的2190万元减少221万元
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
        return self._inferred(m, twin)

    def _next_money(self, pos: int, end: int) -> Amount | None:
        """The stated amount after ``pos`` in the clause: a bare 2.6 before 减少0.4万元 takes its unit."""
        k = bisect_left(self.qty_starts, pos)
        if k < len(self.quantities):
            q = self.quantities[k]
            if q.kind == "money" and q.start < end and not self._clause_mark_between(pos, q.start):
                return q
        return None

    def _clause_mark_between(self, start: int, end: int) -> bool:
        """Whether a clause mark (，。；: …) stands in text[start:end]: a clause starts after one."""
        k = bisect_right(self.clause_starts, start)
        return k < len(self.clause_starts) and self.clause_starts[k] <= end

    def _read_change(self, m: re.Match, sent_end: int) -> Change | None:
        year = m.group("y1") or m.group("y2") or m.group("y4") or m.group("y5") or m.group("y6")
        prev = m.group("prev1") or m.group("prev2") or m.group("prev6")
        fiscal = self.info.fiscal_year
        ph = m.group("ph1") or m.group("ph2") or m.group("ph3") or m.group("ph4") or m.group("ph6") or ""
        change = Change()
        if m.group("ph3") or (not year and not prev and "预算" in ph and m.group().startswith("与")):
            change.compared_year = fiscal
        else:
            change.compared_year = int(year) if year else (fiscal - 1 if fiscal else None)
        executed = "决算" in ph or "执行" in ph          # 比上年预算执行数: what was spent of the budget
        change.compared_phase = "executed" if executed else ("budgeted" if "预算" in ph else self.info.phase)
        change.phase_stated = bool(ph)
        end = min(sent_end, len(self.text))
        opener = self.list_opener_any.search(self.text, m.end(), end)
        if opener is not None:
            end = opener.start()            # the list after 其中 has changes of its own (_item_changes)
        item_end = _ITEM_END.search(self.text, m.end(), end)
        if item_end is not None:
            end = item_end.start()          # …同比增长(下降)0%;公务用车运行维护费…增72000元: the next item's
        self._read_verbs(change, m.start(), m.end(), end)
        if change.direction is None and not change.unsigned:
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
        return self.after_verb.match(self.text, pos).end()

    def _reason(self, pos: int) -> str | None:
        _, end = self._sentence_bounds(pos)
        for candidate in (pos, end):
            m = self.reason.match(self.text, candidate)
            if m:
                _, r_end = self._sentence_bounds(m.start("r"))
                return (m.start("r"), r_end)
        return None

    def _named_subject(self, start: int, pos: int) -> str | None:
        """The concept of a term in the clause right before ``pos`` (back to a clause mark), or
        of a word that names it only as the subject of a change (收入较去年增加…)."""
        k = bisect_left(self.clause_starts, pos) - 1
        clause = max(start, self.clause_starts[k] if k >= 0 else 0)
        terms = [t for t in self.lex.find_terms(self.text[clause:pos]) if t[2] == "concept"]
        if terms:
            return terms[-1][3]
        return self.change_subjects.get(self.text[clause:pos].strip(" ,，;；:：。"))

    def _change_target(self, figures: list[Figure], starts: list[int], pos: int, sent_start: int) -> Figure | None:
        k = bisect_left(starts, pos)           # figures[:k] start before the comparison
        while k and figures[k - 1].start >= sent_start and self._closed_aside(figures[k - 1].end, pos):
            k -= 1                             # 995万元(其中…958万元),比上年下降: the change is the 995's
        if k and figures[k - 1].start >= sent_start:
            named = self._named_subject(figures[k - 1].end, pos)
            if named is not None and named != figures[k - 1].concept:
                # 其中,公务接待费支出决算比去年增加0.5万元: the term before the comparison names
                # its subject, whose amount was stated elsewhere (before, else in the details after)
                return self._same_concept_before(figures, starts, pos, named) or \
                    self._same_concept_after(figures, starts, pos, named)
            return figures[k - 1]              # stated in the same sentence
        named = self._named_subject(sent_start, pos)
        if named is not None and named in self.change_subjects.values():
            return self._same_concept_before(figures, starts, pos, named)
        if self._unbound_amount(sent_start, pos):
            return None                        # the change is about a figure we did not read
        subject = [t for t in self.lex.find_terms(self.text[sent_start:pos]) if t[2] == "concept"]
        if subject:
            concept = subject[-1][3]
            for f in reversed(figures[max(0, k - 200):k]):
                if f.concept == concept:
                    return f
            later = self._same_concept_after(figures, starts, pos, concept)
            if later is not None:
                return later
        if k and pos - figures[k - 1].end < 300 and not self._unbound_amount(figures[k - 1].end, pos):
            return figures[k - 1]          # (an amount read as no figure stands between: the change is its)
        return None
