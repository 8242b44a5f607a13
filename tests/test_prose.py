"""Disclosures as county portals write them (issue 15): each group is one pattern seen on real pages,
written here in our own words with made-up figures. A case lists facts that must be read, as
(concept, value in yuan, fiscal year, phase), and facts that must not be."""
import pytest

from extractors import extract

FINAL = "某县某局2021年度部门决算情况说明\n"
BUDGET = "某县某局2021年部门预算情况说明\n"


def keys(text):
    return {(f["concept"], f["value"], f["fiscal_year"], f["phase"]): f for f in extract(text).facts}


def fact(text, concept, value, year, phase):
    found = keys(text)
    assert (concept, value, year, phase) in found, sorted(found)
    return found[(concept, value, year, phase)]


def rules(text):
    return sorted(f["rule"] for f in extract(text).findings if f["severity"] in ("error", "warning")
                  and f["rule"] != "missing_required_item")


# ---------------------------------------------------------------- one subject, several predicates
@pytest.mark.parametrize("text,wanted", [
    (FINAL + "2021年“三公”经费支出预算为12.6万元，支出决算为9.8万元，完成预算的77.78%。",
     [("three_public.total", "126000", 2021, "budgeted"), ("three_public.total", "98000", 2021, "executed")]),
    (FINAL + "2021年公务接待费年初预算3万元，决算数为2.5万元。",
     [("three_public.reception", "30000", 2021, "budgeted"), ("three_public.reception", "25000", 2021, "executed")]),
    # stacked years: each clause says its own year
    (BUDGET + "公务接待费2021年预算3万元，2020年预算4.2万元。",
     [("three_public.reception", "30000", 2021, "budgeted"), ("three_public.reception", "42000", 2020, "budgeted")]),
])
def test_one_subject_several_predicates(text, wanted):
    found = keys(text)
    for key in wanted:
        assert key in found, (key, sorted(found))


def test_completion_rate_belongs_to_the_clause_it_follows():
    f = fact(FINAL + "2021年“三公”经费支出预算为12.6万元，支出决算为9.8万元，完成预算的77.78%。",
             "three_public.total", "98000", 2021, "executed")
    assert f["budget_completion_rate"] == "0.7778"


def test_a_clause_of_predicates_needs_a_subject_in_its_sentence():
    found = keys(FINAL + "单位共有车辆3辆。支出决算为9.8万元。")
    assert not found


# ---------------------------------------------------------------- the compared figure inside the change clause
@pytest.mark.parametrize("text,current,prior,amount,rate,direction", [
    (FINAL + "2021年公务接待费为86万元，较上年97万元减少11万元，下降11%。",
     ("three_public.reception", "860000", 2021, "executed"), ("three_public.reception", "970000", 2020, "executed"),
     "110000", "0.11", "decrease"),
    # the unit only implied: the bare 2.6 takes the 万元 of its twin
    (FINAL + "2021年公务接待费为2.2万元，较上年2.6减少0.4万元。",
     ("three_public.reception", "22000", 2021, "executed"), ("three_public.reception", "26000", 2020, "executed"),
     "4000", None, "decrease"),
    # against the budget, the amount between 与 and 相比
    (FINAL + "2021年公务接待费决算为2.7万元，与年初预算3.2万元相比，减少0.5万元。",
     ("three_public.reception", "27000", 2021, "executed"), ("three_public.reception", "32000", 2021, "budgeted"),
     "5000", None, "decrease"),
    # the compared figure named with its own term, in the sentence after
    (FINAL + "2021年“三公”经费合计31万元。较2020年度“三公”经费合计16万元增加15万元。",
     ("three_public.total", "310000", 2021, "executed"), ("three_public.total", "160000", 2020, "executed"),
     "150000", None, "increase"),
])
def test_prior_figure_in_the_change_clause(text, current, prior, amount, rate, direction):
    found = keys(text)
    assert prior in found, sorted(found)
    change = found[current]["change"]
    assert (change["amount"], change["rate"], change["direction"]) == (amount, rate, direction)
    assert (change["compared_year"], change["compared_phase"]) == prior[2:]


def test_two_comparisons_of_one_figure():
    f = fact(FINAL + "2021年公务接待费为122万元，较上年144万元减少22万元，下降15%，较预算数339万元减少217万元，下降64%。",
             "three_public.reception", "1220000", 2021, "executed")
    assert (f["change"]["compared_phase"], f["change"]["amount"]) == ("executed", "220000")
    assert [(c["compared_phase"], c["amount"], c["rate"]) for c in f["other_changes"]] == [("budgeted", "2170000", "0.64")]
    assert ("three_public.reception", "3390000", 2021, "budgeted") in keys(
        FINAL + "2021年公务接待费为122万元，较上年144万元减少22万元，下降15%，较预算数339万元减少217万元，下降64%。")


def test_budget_stated_inside_the_completion_rate():
    text = FINAL + "2021年“三公”经费支出决算为62.07万元，完成全年预算84.82万元的73.2%。"
    assert fact(text, "three_public.total", "620700", 2021, "executed")["budget_completion_rate"] == "0.732"
    fact(text, "three_public.total", "848200", 2021, "budgeted")


@pytest.mark.parametrize("text,concept,amount,rate,direction", [
    (FINAL + "2021年公务接待费2.3万元，较上年减少1.5万元(39.47%)。", "three_public.reception", "15000", "0.3947", "decrease"),
    (FINAL + "2021年公务接待费1万元，较上年减少0万元。", "three_public.reception", "0", None, "flat"),
    # the amount in one clause, the rate in the next, of one comparison
    (BUDGET + "2021年公务接待费预算安排60000元,比上年预算增15000元,同比增长33.33%。",
     "three_public.reception", "15000", "0.3333", "increase"),
    # a form's both signs in parentheses, with a zero
    (BUDGET + "2021年安排因公出国(境)费0元,比上年预算增(减)0元,同比增长(下降)0%。",
     "three_public.outbound_travel", "0", "0", "flat"),
    # a change with no comparison word after the figure, by its one-character verb
    (BUDGET + "2021年公务用车运行维护费预算120000元,增30000元,同比增长33.33%。",
     "three_public.vehicle_operation", "30000", "0.3333", "increase"),
    # the scale without 元
    (BUDGET + "2021年度公务接待费预算3万元，与2020年预算相比减少1万。", "three_public.reception", "10000", None, "decrease"),
    # the direction alone
    (BUDGET + "2021年公务接待费预算3万元,较上年预算减少;", "three_public.reception", None, None, "decrease"),
    # the verb left out: the difference of the two figures
    (FINAL + "2021年公务接待费决算支出数为52万元,较2020年决算数40万元12万元,增长30%。",
     "three_public.reception", "120000", "0.3", "increase"),
    # the figure compared with named inside 与…相比
    (BUDGET + "2021年“三公”经费总额为80万元，与2020年一般公共预算“三公”经费总额100万元相比，减少20万元，下降20%。",
     "three_public.total", "200000", "0.2", "decrease"),
    # 和上年持平 after another figure's change does not make that change flat
    (FINAL + "2021年公务用车运行维护费3万元,比上年减少1万元,公务接待费2万元,和上年持平。",
     "three_public.vehicle_operation", "10000", None, "decrease"),
    (FINAL + "2021年公务用车运行维护费3万元,比上年减少1万元,公务接待费2万元,和上年持平。",
     "three_public.reception", None, None, "flat"),
])
def test_change_wordings(text, concept, amount, rate, direction):
    f = [f for f in extract(text).facts if f["concept"] == concept][0]
    assert (f["change"]["amount"], f["change"]["rate"], f["change"]["direction"]) == (amount, rate, direction)


def test_an_amount_after_the_comparison_word_that_fits_the_rate_only_as_the_difference_is_the_difference():
    text = FINAL + "2021年本年支出合计568.5万元,较2020年度决算数38.31万元,下降6.31%。"
    f = fact(text, "expenditure_total", "5685000", 2021, "executed")
    assert (f["change"]["amount"], f["change"]["rate"], f["change"]["direction"]) == ("383100", "0.0631", "decrease")
    assert ("expenditure_total", "383100", 2020, "executed") not in keys(text)
    assert "change_rate_mismatch" not in rules(text)
    # as the figure compared with it fits the rate: it is that figure
    text = FINAL + "2021年本年支出合计568.5万元,较2020年度决算数606.81万元,下降6.31%。"
    assert ("expenditure_total", "6068100", 2020, "executed") in keys(text)


def test_a_year_inside_a_reason_is_not_the_year_of_the_figures_after_it():
    text = (BUDGET + "2021年“三公”经费预算58万元,其中:公车运行及维护46万元,较上年下降21%,主要是2020年开展公车改革,车辆减少;"
            "公务接待费4.3万元,与上年持平;因公出国1万元,与上年持平。")
    found = keys(text)
    for key in [("three_public.vehicle_operation", "460000", 2021, "budgeted"),
                ("three_public.reception", "43000", 2021, "budgeted"),
                ("three_public.outbound_travel", "10000", 2021, "budgeted")]:
        assert key in found, (key, sorted(found))
    # a figure inside the reason is of the reason's year
    text = FINAL + "2021年度收入总计300万元,较上年减少70万元,主要原因是2020年有政府性基金预算财政拨款收入71万元。"
    assert ("revenue.government_fund_appropriation", "710000", 2020, "executed") in keys(text)


def test_a_section_headed_by_a_concept_carries_it_to_its_sentences_of_a_year_and_phase():
    text = (BUDGET.replace("2021", "2016") + "一、因公出国(境)经费\n2016年预算安排,因公出国(境)费15万元,主要用于培训。"
            "2015年预算数18万元,2016年预算比2015年预算下降16.67%。\n二、公务接待费\n2016年预算安排8万元。2015年预算数15万元,"
            "2016年预算比2015年预算下降46.7%。")
    found = keys(text)
    for key in [("three_public.outbound_travel", "180000", 2015, "budgeted"),
                ("three_public.reception", "150000", 2015, "budgeted")]:
        assert key in found, (key, sorted(found))
    travel = found[("three_public.outbound_travel", "150000", 2016, "budgeted")]["change"]
    assert (travel["rate"], travel["direction"], travel["compared_year"]) == ("0.1667", "decrease", 2015)
    assert found[("three_public.reception", "80000", 2016, "budgeted")]["change"]["rate"] == "0.467"
    # without the heading, a sentence of a year and phase alone has no subject
    assert ("three_public.reception", "150000", 2015, "budgeted") not in keys(text.replace("二、公务接待费\n", ""))


def test_a_compared_figure_glued_to_its_year_is_read_when_the_change_proves_it():
    text = FINAL + "2021年度收、支总计424.71万元。与2020498.83万元相比,收、支总计各减少74.12万元,减少14.86%。"
    assert ("total_revenue_expenditure", "4988300", 2020, "executed") in keys(text)
    # digits the change does not prove stay one number
    text = FINAL + "2021年度收、支总计424.71万元。与2020498.83万元相比,收、支总计各减少70万元,减少14.86%。"
    assert ("total_revenue_expenditure", "4988300", 2020, "executed") not in keys(text)


def test_of_two_comparisons_with_the_prior_year_the_figure_s_own_phase_is_its_change():
    f = fact(FINAL + "2021年“三公”经费决算数共计30万元,比上年预算数下降40%,比上年决算数下降25%。",
             "three_public.total", "300000", 2021, "executed")
    assert (f["change"]["compared_phase"], f["change"]["rate"]) == ("executed", "0.25")
    assert [(c["compared_phase"], c["rate"]) for c in f["other_changes"]] == [("budgeted", "0.4")]


def test_an_unworded_amount_that_is_not_the_difference_is_not_the_change():
    f = fact(FINAL + "2021年公务接待费决算支出数为52万元,较2020年决算数40万元7万元,增长30%。",
             "three_public.reception", "520000", 2021, "executed")
    assert f["change"]["amount"] is None


def test_respective_changes_of_the_figures_of_the_sentence_before():
    text = FINAL + "2021年度收、支总计各是400.5,420.5万元。与2020年相比,收、支总计各减少100.5,80.5万元,各下降20%、16%。"
    found = [f for f in extract(text).facts if f["concept"] == "total_revenue_expenditure"]
    assert [(f["value"], f["change"]["amount"], f["change"]["rate"]) for f in found] == \
        [("4005000", "1005000", "0.2"), ("4205000", "805000", "0.16")]


@pytest.mark.parametrize("text,vehicle,change", [
    # items after a comparison's sentence, one of which compares itself (与上年持平)
    (FINAL + "2021年“三公”经费支出决算为28.98万元,其中:公务用车购置及运行维护费支出决算为22.83万元,公务接待费支出决算为6.15万元。"
     "2021年度“三公”经费支出决算数比上年减少22.02万元,下降43.18%。其中:因公出国(境)费支出决算减少0万元,与上年持平;"
     "公务用车购置及运行维护费支出决算减少21.33万元,下降48.30%;公务接待费支出决算减少0.69万元,下降10%。",
     "228300", ("213300", "0.483", "decrease")),
    # an item whose verb was left out states its change, not a second value of the figure
    (FINAL + "2021年“三公”经费支出决算为39万元。其中:公务用车购置及运行费支出决算为27.37万元;公务接待费支出决算为11.63万元。"
     "2021年度“三公”经费支出决算数比2020年增加23.14万元,增长145.87%。其中:公务用车购置及运行费支出决算17.47万元,"
     "增长176.55%;公务接待费支出决算增加5.67万元,增长95.00%。",
     "273700", ("174700", "1.7655", "increase")),
])
def test_items_of_a_list_of_changes_after_the_comparison_s_sentence(text, vehicle, change):
    found = keys(text)
    got = found[("three_public.vehicle", vehicle, 2021, "executed")]["change"]
    assert (got["amount"], got["rate"], got["direction"]) == change
    assert ("three_public.vehicle", change[0], 2021, "executed") not in found
    assert [f for f in found.values() if f["concept"] == "three_public.reception"][0]["change"]["amount"]
    assert "conflicting_values" not in rules(text)


def test_items_of_a_list_after_a_comparison_have_their_own_changes():
    text = (FINAL + "2021年“三公”经费支出决算为9.7万元，其中公务接待费支出决算2.1万元。"
            "2021年度“三公”经费支出决算数比2020年度减少0.3万元，降低3%，其中：公务接待费支出决算增加0.1万元，增长5%。")
    found = keys(text)
    assert found[("three_public.total", "97000", 2021, "executed")]["change"]["amount"] == "3000"
    reception = found[("three_public.reception", "21000", 2021, "executed")]["change"]
    assert (reception["amount"], reception["rate"], reception["direction"]) == ("1000", "0.05", "increase")


def test_respective_changes():
    text = FINAL + "2021年度收入总计75万元，支出总计75万元，与2020年度相比，收入、支出总计各增加5万元、6万元，增长7.14%、8.7%。"
    f = fact(text, "total_revenue_expenditure", "750000", 2021, "executed")
    assert f["change"]["amount"] in ("50000", "60000")


def test_a_change_that_fits_the_list_total_is_not_the_last_item_s():
    text = (BUDGET + "2021年下属单位运行经费总预算安排373万元，其中：基本支出预算4.9万元，项目支出预算368.1万元，"
            "同比增加271万元，增长265.7%。")
    assert "change_rate_mismatch" not in rules(text)


def test_a_trailing_change_is_read_but_never_checked():
    text = FINAL + "2021年一般公共预算财政拨款支出459989万元，增支42991万元，增长30%。"
    f = fact(text, "appropriation.general_budget_expenditure", "4599890000", 2021, "executed")
    assert f["change"]["compared_year"] == 2020 and f["change"]["amount"] == "429910000"
    assert rules(text) == []


# ---------------------------------------------------------------- wordings the lexicon did not know
@pytest.mark.parametrize("text,key", [
    (FINAL + "2021年公车运行费28.9万元。", ("three_public.vehicle_operation", "289000", 2021, "executed")),
    (FINAL + "2021年车辆运行费3.1万元。", ("three_public.vehicle_operation", "31000", 2021, "executed")),
    (FINAL + "2021年公车购置及运行费99.5万元。", ("three_public.vehicle", "995000", 2021, "executed")),
    (FINAL + "2021年公务接待费列支2万元。", ("three_public.reception", "20000", 2021, "executed")),
    (FINAL + "2021年一般公共预算安排的“三公”经费支出决算汇总数为1134万元。", ("three_public.total", "11340000", 2021, "executed")),
    (FINAL + "2021年实际支出“三公经费”决算为22.62万元。", ("three_public.total", "226200", 2021, "executed")),
    (BUDGET + "(一)收入预算:2021年年初预算数2001.98万元,其中:一般公共预算拨款2001.98万元。",
     ("revenue_total", "20019800", 2021, "budgeted")),
    (BUDGET + "2021年收入预算总额为120.34万元。", ("total_revenue_expenditure", "1203400", 2021, "budgeted")),
    (FINAL + "公务用车运行及维护支出7.5万元。", ("three_public.vehicle_operation", "75000", 2021, "executed")),
    (BUDGET + "2021年车辆购置及运行维护费15.2万元。", ("three_public.vehicle", "152000", 2021, "budgeted")),
    (FINAL + "人员编制347人，现有在编人员333人。", ("staffing.actual", "333", 2021, "executed")),
    (FINAL + "本院现有职工23人。", ("staffing.actual", "23", 2021, "executed")),
])
def test_new_wordings(text, key):
    assert key in keys(text), sorted(keys(text))


@pytest.mark.parametrize("text,concept", [
    # the tail of a longer name is not the concept
    (BUDGET + "工资福利支出预算905709.06元，占基本支出预算79.89%。", "expenditure_total"),
    (BUDGET + "2021年政府性基金预算本年收入0万元。", "revenue_total"),
])
def test_tails_of_longer_names(text, concept):
    assert concept not in {k[0] for k in keys(text)}


# ---------------------------------------------------------------- nil statements
def test_nil_statement_is_zero_executed_and_flat():
    f = fact(FINAL + "本年度无因公出国(境)费支出，与上年持平。", "three_public.outbound_travel", "0", 2021, "executed")
    assert f["change"] is None or f["change"]["direction"] == "flat"


@pytest.mark.parametrize("text,key", [
    # the phase word between the nil word's term and the clause's end says the phase
    (BUDGET + "2021年无因公出国(境)费用预算，同比无变化。", ("three_public.outbound_travel", "0", 2021, "budgeted")),
    # nil stated after the term
    (FINAL + "其中，因公出国(境)费用没有，原因是压缩开支。", ("three_public.outbound_travel", "0", 2021, "executed")),
    (FINAL + "公务用车购置费为零。", ("three_public.vehicle_purchase", "0", 2021, "executed")),
])
def test_nil_statements_before_and_after_their_term(text, key):
    assert key in keys(text), sorted(keys(text))


@pytest.mark.parametrize("text", [
    FINAL + "无因公出国(境)费用预算调整情况说明。",        # not a nil figure: a word follows
    FINAL + "公务接待费无变化，与上年持平。",
])
def test_nil_words_inside_other_wordings_are_no_figure(text):
    assert not [k for k in keys(text) if k[1] == "0"], sorted(keys(text))


# ---------------------------------------------------------------- staffing
@pytest.mark.parametrize("text,wanted,unwanted", [
    (FINAL + "本单位编制23人，实有在职21人，退休9人。",
     [("staffing.authorized", "23"), ("staffing.actual", "21"), ("staffing.retired", "9")], []),
    (FINAL + "本单位总编制43名，其中行政编制26名，事业编制15名；在职人员总数37人。",
     [("staffing.authorized", "43"), ("staffing.actual", "37")], [("staffing.authorized", "26"), ("staffing.authorized", "15")]),
    (FINAL + "现有人员编制115人。另有事业控制编制13人。", [("staffing.authorized", "115")], [("staffing.authorized", "13")]),
    # a school's wordings
    (FINAL + "学校总编制数72人。在职教师60人；退休教师36人。",
     [("staffing.authorized", "72"), ("staffing.actual", "60"), ("staffing.retired", "36")], []),
])
def test_staffing(text, wanted, unwanted):
    found = {(k[0], k[1]) for k in keys(text)}
    assert set(wanted) <= found and not set(unwanted) & found, sorted(found)


def test_the_institution_fund_covering_a_deficit_is_no_carry_over():
    text = FINAL + "2021年总收入318.26万元,其中:财政拨款收入276.06万元,用事业基金弥补收支差额0万元,上年结转和结余2.32万元。"
    assert [k for k in keys(text) if k[0] == "revenue.prior_year_carryover"] == [
        ("revenue.prior_year_carryover", "23200", 2021, "executed")]


def test_a_private_school_s_retirees_are_not_the_unit_s():
    text = FINAL + "在职教师121人,民办退休教师1人,退休教师26人。"
    assert [k for k in keys(text) if k[0] == "staffing.retired"] == [("staffing.retired", "26", 2021, "executed")]


def test_counts_of_two_kinds_of_staff_are_no_conflict():
    text = FINAL + "本部门行政编制40人,实有人数38人;事业编制12人,实有人数9人。"
    assert {("staffing.actual", "38"), ("staffing.actual", "9")} <= {(k[0], k[1]) for k in keys(text)}
    assert "conflicting_values" not in rules(text)
    assert "conflicting_values" in rules(FINAL + "本部门实有人数38人。截至年底，本部门实有人数39人。")


# ---------------------------------------------------------------- 总收入 / 总支出: the page says which total
@pytest.mark.parametrize("text,wanted,unwanted", [
    # a part named 本年收入 after it: the whole
    (FINAL + "本单位2021年度总收入210.5万元，其中本年收入200.1万元，上年结转10.4万元。",
     [("total_revenue_expenditure", "2105000")], [("revenue_total", "2105000")]),
    # the two sides of one year equal: a 收支总表 balances
    (FINAL + "（一）本单位2021年度总收入88.2万元。\n（二）本单位2021年度总支出88.2万元。",
     [("total_revenue_expenditure", "882000")], [("revenue_total", "882000"), ("expenditure_total", "882000")]),
    # differing, year by year (the prior year's inside the change clause too)
    (FINAL + "2021年度决算总收入320万元，比2020年度决算总收入300万元增加20万元。2021年度总支出310万元，"
             "比2020年度总支出290万元增加20万元。",
     [("revenue_total", "3200000"), ("revenue_total", "3000000"), ("expenditure_total", "3100000"),
      ("expenditure_total", "2900000")], [("total_revenue_expenditure", "3200000")]),
    # alone, or a fund's or a region's: unread
    (FINAL + "2021年度总收入320万元，主要是人员增加。", [], [("revenue_total", "3200000"),
                                                     ("total_revenue_expenditure", "3200000")]),
    (FINAL + "2021年度政府性基金总收入50万元，政府性基金总支出40万元。", [],
     [("revenue_total", "500000"), ("expenditure_total", "400000")]),
])
def test_total_revenue_named_without_its_kind(text, wanted, unwanted):
    found = {(k[0], k[1]) for k in keys(text)}
    assert set(wanted) <= found and not set(unwanted) & found, sorted(found)


@pytest.mark.parametrize("text,wanted,unwanted", [
    # 收入/支出 alone open a clause after its year, the other side right after the first
    (FINAL + "一、收入支出决算总体情况说明:2021年收入1234567元,支出1200000.5元,因人员增加略有增加。",
     [("revenue_total", "1234567"), ("expenditure_total", "1200000.5")], []),
    # inside parentheses, after a subject, or without a year they are parts of other names
    (FINAL + "2021年“三公”经费（财政拨款）支出4.2万元，比上年减少0.3万元。", [], [("expenditure_total", "42000")]),
    (FINAL + "公务接待2021年支出2万元。", [], [("expenditure_total", "20000")]),
    (FINAL + "支出12万元。", [], [("expenditure_total", "120000")]),
    # the other side right after a revenue total named by its own word
    (BUDGET + "2021年预算内收入安排65.5万元,支出65.5万元。", [("revenue_total", "655000"), ("expenditure_total", "655000")], []),
])
def test_revenue_and_expenditure_named_by_the_bare_word(text, wanted, unwanted):
    found = {(k[0], k[1]) for k in keys(text)}
    assert set(wanted) <= found and not set(unwanted) & found, sorted(found)


@pytest.mark.parametrize("text,wanted,unwanted", [
    # a list after a figure names its parts by short words that alone name nothing
    (FINAL + "2021年度政府采购总额40.5万元，其中：货物10.5万元，工程30万元。",
     [("procurement.total", "405000"), ("procurement.goods", "105000"), ("procurement.works", "300000")], []),
    (FINAL + "2021年度购置货物10.5万元，工程30万元。", [], [("procurement.goods", "105000"), ("procurement.works", "300000")]),
    # a fund named in a sentence about 政府采购 is where the purchases' money came from
    (BUDGET + "2021年政府采购预算1.7万元。按政府采购资金类型划分，一般公共预算拨款1.7万元。", [],
     [("revenue.general_budget_appropriation", "17000")]),
    # a fund's 收入总计 holds the carry-over: it is not the fund's appropriation
    (FINAL + "2021年度一般公共预算收入总计105万元，本年支出100万元。", [],
     [("revenue.general_budget_appropriation", "1050000")]),
    (FINAL + "2021年度一般公共预算收入100万元。", [("revenue.general_budget_appropriation", "1000000")], []),
])
def test_parts_and_totals_named_by_their_neighbours(text, wanted, unwanted):
    found = {(k[0], k[1]) for k in keys(text)}
    assert set(wanted) <= found and not set(unwanted) & found, sorted(found)


def test_a_part_named_like_its_whole_is_no_conflict():
    assert rules(FINAL + "2021年离退休人员12人，其中：离休2人，退休10人。") == []


# ---------------------------------------------------------------- tables flattened into the text
ONE_CELL_PER_LINE = """2021年“三公”经费财政拨款支出决算表
(单位:万元)
项 目
预 算 数
决 算 数
合 计
7.70
6.83
因公出国(境)费
0.00
公务接待费
3.50
2.64
公务用车购置及运行费
4.20
4.19
二、情况说明
"""

WITH_BARS = """2021年决算数与2020年决算数对比情况
年度
|
合计
|
因公出国(境)经费
|
公务接待费
|
公车购置及运行维护费
|
合计
|
车辆购置
|
车辆运行
|
2020年
|
28.4
|
0.9
|
14
|
13.5
|
0.7
|
12.8
|
2021年
|
23.6
|
0.1
|
13.6
|
9.9
|
0.4
|
9.5
|
"""


def test_table_one_cell_per_line():
    r = extract(FINAL + ONE_CELL_PER_LINE)
    table = [t for t in r.document["tables"] if t["rows"][0][0] == "项 目"][0]
    assert table["rows"][:2] == [["项 目", "预 算 数", "决 算 数"], ["合 计", "7.70", "6.83"]]
    found = keys(FINAL + ONE_CELL_PER_LINE)
    for key in [("three_public.total", "77000", 2021, "budgeted"), ("three_public.total", "68300", 2021, "executed"),
                ("three_public.reception", "26400", 2021, "executed"), ("three_public.vehicle", "41900", 2021, "executed")]:
        assert key in found, (key, sorted(found))
    # one number under two columns: which column is not known, so it is not read
    assert not [k for k in found if k[0] == "three_public.outbound_travel"]
    f = found[("three_public.reception", "26400", 2021, "executed")]
    assert r.document["text"][f["evidence"]["start"]:f["evidence"]["end"]].startswith("公务接待费")


def test_table_with_bars_a_parent_header_and_year_rows():
    found = keys(FINAL + WITH_BARS)
    for key in [("three_public.total", "284000", 2020, "executed"), ("three_public.vehicle", "135000", 2020, "executed"),
                ("three_public.vehicle_purchase", "7000", 2020, "executed"),
                ("three_public.vehicle_operation", "95000", 2021, "executed")]:
        assert key in found, (key, sorted(found))


def test_prose_and_its_flattened_table_disagreeing_is_a_finding():
    text = FINAL + "2021年公务接待费13.5万元。\n" + WITH_BARS
    assert "text_table_mismatch" in rules(text)


# a 收支总表 copied one cell per line, each cell with its bar, each row's last cell with the bars of
# the page table's empty cells; a table of contents before it names another statement
STACKED = """目录
(八)政府性基金预算财政拨款收入支出决算表
表1 收入支出决算总表 | |||||
金额单位:万元 | |||||
收入 |
支出 | ||||
项 目 |
行次 |
决算数 |
项 目 |
行次 |
决算数 | |
一、一般公共预算财政拨款收入 |
1 |
312.40 |
一、一般公共服务支出 |
31 |
120.00 | |
二、政府性基金预算财政拨款收入 |
2 |
0.00 |
二、教育支出 |
32 |
15.60 | |
五、事业收入 |
5 |
48.20 |
三、卫生健康支出
"""


def test_rows_stacked_one_cell_per_line_are_read_as_rows():
    r = extract(FINAL + STACKED)
    table = [t for t in r.document["tables"] if any("一般公共服务支出" in c for row in t["rows"] for c in row)][0]
    assert ["一、一般公共预算财政拨款收入", "1", "312.40", "一、一般公共服务支出", "31", "120.00", ""] in table["rows"]
    found = keys(FINAL + STACKED)
    for key in [("revenue.general_budget_appropriation", "3124000", 2021, "executed"),
                ("revenue.government_fund_appropriation", "0", 2021, "executed"),
                ("revenue.business", "482000", 2021, "executed")]:     # its row cut by the end of the text
        assert key in found, (key, sorted(found))
    items = {(i["class"], i["amount"]) for i in r.line_items}
    assert {("一般公共服务支出", "1200000"), ("教育支出", "156000")} <= items
    # the table names itself: not the government fund statement the contents list names before it
    assert {f["statement"]["name"] for f in r.facts if f["statement"]["id"] != "prose"} == {"收入支出决算总表"}


LAST_YEAR_BESIDE_THIS = """| 索引号 | 01525903-1-04 | 发布机构 | 某县财政局 |
| 文号 | 浏览量 | 31 |
某县2021年“三公”经费决算情况统计表 | ||||
单位:万元 | ||||
项目 | 上年决算数 | 本年决算数 | 比上年增、减情况 | |
增、减金额 | 增、减幅度 | |||
合计 | 291.47 | 270.86 | -20.61 | -7.07% |
1.因公出国(境)费 | 13.06 | 10.20 | -2.86 | -21.9% |
2.公务接待费 | 167.69 | 159.94 | -7.75 | -4.62% |
"""


def test_a_table_of_last_year_beside_this_year_under_a_page_s_metadata_rows():
    found = keys(FINAL + LAST_YEAR_BESIDE_THIS)
    for key in [("three_public.total", "2914700", 2020, "executed"), ("three_public.total", "2708600", 2021, "executed"),
                ("three_public.reception", "1676900", 2020, "executed"), ("three_public.reception", "1599400", 2021, "executed")]:
        assert key in found, (key, sorted(found))
    # the change columns are the change of this year's figure against last year's
    change = found[("three_public.total", "2708600", 2021, "executed")]["change"]
    assert (change["amount"], change["rate"], change["direction"], change["compared_year"]) == ("206100", "0.0707", "decrease", 2020)
    assert found[("three_public.total", "2914700", 2020, "executed")]["change"] is None
    assert "change_rate_mismatch" not in rules(FINAL + LAST_YEAR_BESIDE_THIS)
    assert "change_rate_mismatch" in rules(FINAL + LAST_YEAR_BESIDE_THIS.replace("-7.07%", "-9.07%"))


@pytest.mark.parametrize("text,wanted", [
    # dashes for no value, the label column 经费项目, a unit in the value columns' headers
    (FINAL + "2021年度全区“三公”经费决算情况\n经费项目 |\n2021年度支出 (万元) |\n支出减少情况(万元) |\n支出减少率 |\n"
     "因公出国(境)费 |\n0 |\n0 |\n0% |\n公务接待费 |\n71.53 |\n- |\n- |\n公务用车购置及运行维护费 |\n"
     "1857.23 |\n- |\n- |\n总“三公”经费支出 |\n1928.76 |\n- |\n- |\n",
     [("three_public.reception", "715300", 2021, "executed"), ("three_public.vehicle", "18572300", 2021, "executed"),
      ("three_public.total", "19287600", 2021, "executed")]),
    # the first rows' values all blank
    (BUDGET + "一、“三公”经费预算财政拨款情况表\n|\n单位:万元 |\n|\n项目 |\n2021年预算数 |\n上年预算数 |\n增幅(%) |\n"
     "合计 |\n|\n|\n|\n因公出国(境)费 |\n|\n|\n|\n公务接待费 |\n11.52 |\n11.52 |\n0 |\n公务用车购置 |\n25 |\n0 |\n|\n",
     [("three_public.reception", "115200", 2021, "budgeted"), ("three_public.reception", "115200", 2020, "budgeted"),
      ("three_public.vehicle_purchase", "250000", 2021, "budgeted"), ("three_public.vehicle_purchase", "0", 2020, "budgeted")]),
])
def test_more_tables_one_cell_per_line(text, wanted):
    found = keys(text)
    for key in wanted:
        assert key in found, (key, sorted(found))


def test_heading_lines_with_bars_are_no_stacked_table():
    text = FINAL + "2021年部门预算公开表 |\n2021年02月11日 |\n财政拨款收支总表 | ||||\n金额单位:万元 | ||||\n"
    assert all(len(row) == 1 or not any(row[1:]) for t in extract(text).document["tables"] for row in t["rows"])


def test_a_list_of_headings_is_no_table():
    r = extract(FINAL + "项目\n一、基本情况\n二、收入情况\n三、支出情况\n")
    assert r.document["tables"] == []


# ---------------------------------------------------------------- mirrors and cut texts
def test_traditional_characters_with_pinyin_glosses():
    text = "某縣某局2021年度部門決(jué)算說明\n2021年度,本單位一般公共預(yù)算財政撥款支出總計1741.75萬元。"
    fact(text, "appropriation.general_budget_expenditure", "17417500", 2021, "executed")


def test_a_number_cut_at_the_end_of_the_text_is_not_read():
    assert keys(BUDGET + "2021年收入预算总额为120.34万元。2021年支出预算总额为1") == {
        ("total_revenue_expenditure", "1203400", 2021, "budgeted"): keys(BUDGET + "2021年收入预算总额为120.34万元。")[
            ("total_revenue_expenditure", "1203400", 2021, "budgeted")]}


# ---------------------------------------------------------------- documents the concept list is not for
def test_a_government_budget_report_gives_no_department_facts():
    text = ("2023年某市预算说明\n全市一般公共预算收入安排77.6亿元，同比增长5%。其中：税收收入65.7亿元，非税收入11.9亿元。"
            "加上上级补助收入54.3亿元、调入资金24.2亿元，收入总计156.1亿元。市本级一般公共预算收入安排47.8亿元。")
    r = extract(text)
    assert r.document["scope"] == "government" and r.facts == []
    assert extract(FINAL + "2021年本年收入合计270万元。").document["scope"] == "department"


@pytest.mark.parametrize("text,wanted", [
    # a former name of the class, as documents of its years print it
    ("2017年文化体育与传媒支出28.86万元，医疗卫生与计划生育支出426.5万元。",
     [("文化旅游体育与传媒支出", "288600"), ("卫生健康支出", "4265000")]),
    ("2012年城乡社区事务支出144.2万元，农林水事务支出651.4万元。", [("城乡社区支出", "1442000"), ("农林水支出", "6514000")]),
    # 事务 between the class and 支出, as some township reports write every class
    ("2021年一般公共服务事务支出7641.5万元，为调整预算的99.06%。科学技术事务支出386.85万元。",
     [("一般公共服务支出", "76415000"), ("科学技术支出", "3868500")]),
])
def test_function_classes_in_the_wordings_of_other_years_and_places(text, wanted):
    assert [(li["class"], li["amount"]) for li in extract(FINAL + text).line_items] == wanted


@pytest.mark.parametrize("text,wanted", [
    ("2022年全县社会保险基金预算收入4338万元，社会保险基金支出4100万元。", [("社会保险基金支出", "41000000")]),
    ("2022年社会保障和就业支出5000万元，社会保障和就业收入300万元。", [("社会保障和就业支出", "50000000")]),
])
def test_a_function_class_named_with_a_revenue_is_no_line_item(text, wanted):
    """The classification of expenditure does not classify revenue: 社会保险基金预算收入 is none of
    社会保险基金支出."""
    assert [(li["class"], li["amount"]) for li in extract(text).line_items] == wanted


# ---------------------------------------------------------------- totals that must balance
def test_revenue_and_expenditure_totals_that_differ_are_a_balance_finding():
    assert rules(FINAL + "2021年度收入总计100万元，支出总计90万元。") == ["balance_mismatch"]
    assert rules(FINAL + "2021年度收入总计100万元，支出总计100万元。") == []


def test_a_whole_broken_down_into_more_parts_than_the_concept_list_holds_is_a_note():
    text = (BUDGET + "2021年“三公”经费预算为100万元,其中,公务接待费20万元,因公出国(境)费10万元,公务用车购置及运行维护费"
            "70万元(其中,公务用车购置费5万元,公务用车运行维护费40万元,其他交通工具购置5万元,其他交通费用20万元)。")
    sums = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert [f["severity"] for f in sums] == ["info"] and "其他金额" in sums[0]["message"]
    # without the amounts the list does not name, the same parts fall short: an alarm
    assert "sum_mismatch" in rules(text.replace(",其他交通工具购置5万元,其他交通费用20万元", ""))


def test_a_missing_part_named_without_its_amount_makes_a_sum_unknown():
    text = FINAL + "2021年“三公”经费支出38.61万元，其中：公务接待费6.38万元，因公出国(境)经费费0.62万元，公务用车购置及运行维护费32.23万元。"
    assert "sum_mismatch" not in rules(text.replace("32.23", "31.61"))


OPEN_ROWS = """2021年“三公”经费预算表 | |
单位:万元 | |
项目 | 本年预算数 |
合计 | 33.18 |
1、因公出国(境)费用 | 0 |
2、公务接待费 | 13.72 |
3、公务用车费 | 19.46 |
"""

COLLAPSED_HEADER = """2021年“三公”经费预算财政拨款情况表 | |||||||
合 计 | 因公出国(境)费 | 公务用车费 | 公务接待费 | ||||
小 计 | 公务用车运行维护费 | 公务用车购置费 | |||||
1.7 | 0 | 0 | 0 | 0 | 1.7 | ||
"""


def test_rows_copied_without_their_leading_bar_are_a_table():
    r = extract(BUDGET + OPEN_ROWS)
    assert [t["source"] for t in r.document["tables"]] == ["pipes"]
    found = keys(BUDGET + OPEN_ROWS)
    for key in [("three_public.total", "331800", 2021, "budgeted"), ("three_public.vehicle", "194600", 2021, "budgeted")]:
        assert key in found, (key, sorted(found))


def test_a_header_whose_merged_cells_collapsed_is_read_through_its_group():
    # 公务用车费 is the group over 小计 | 运行维护费 | 购置费: six leaves for the six values, so 1.7 is
    # the 合计 and the 公务接待费, and every column lands under its own header
    found = keys(BUDGET + COLLAPSED_HEADER)
    for concept, value in [("three_public.total", "17000"), ("three_public.outbound_travel", "0"),
                           ("three_public.vehicle", "0"), ("three_public.vehicle_operation", "0"),
                           ("three_public.vehicle_purchase", "0"), ("three_public.reception", "17000")]:
        assert (concept, value, 2021, "budgeted") in found, (concept, sorted(found))
    assert ("three_public.reception", "0", 2021, "budgeted") not in found


def test_a_total_row_whose_number_looks_like_a_code_is_a_row_of_values():
    text = BUDGET + "2021年“三公”经费预算情况表 | |\n单位:万元 | |\n项目 | 预算数 |\n合计 | 2468 |\n公务接待费 | 1234 |\n公务用车费 | 1234 |\n"
    found = keys(text)
    assert ("three_public.total", "24680000", 2021, "budgeted") in found, sorted(found)
    assert ("three_public.reception", "12340000", 2021, "budgeted") in found, sorted(found)


@pytest.mark.parametrize("header", [
    # no upper cell whose name the lower cells' names begin with
    "合 计 | 因公出国(境)费 | 车辆费用 | 公务接待费 | ||||\n小 计 | 公务用车运行维护费 | 公务用车购置费 | |||||\n",
    # two upper cells that begin them equally far
    "合 计 | 公务用车甲 | 公务用车乙 | 公务接待费 | ||||\n小 计 | 公务用车运行维护费 | 公务用车购置费 | |||||\n",
])
def test_a_collapsed_header_without_one_group_stays_prose(header):
    r = extract(BUDGET + "2021年“三公”经费预算财政拨款情况表 | |||||||\n" + header + "1.7 | 0 | 0 | 0 | 0 | 1.7 | ||\n")
    assert not [f for f in r.facts if f["evidence"].get("table") is not None]


def test_a_mirror_s_hyphen_for_nian_still_gives_the_year():
    assert extract("岳阳县2015-“三公”经费汇总情况决算表\n合计支出3318万元。").document["fiscal_year"] == 2015


BARRED_CELLS = """一、2021年度“三公”经费支出决算表
单位:万元
项 目 |
预 算 数 |
决 算 数 |
合 计 |
49.9 |
7.69 |
因公出国(境)费 |
20 |
|
公务接待费 |
14.9 |
5.21 |
二、情况说明
"""

BARS_BETWEEN_ROWS = """一、2021年度“三公”经费支出决算表
单位:万元
|
项 目 |
预 算 数 |
决 算 数 |
|
合 计 |
246 |
167.37 |
|
公务接待费 |
1 |
2.14 |
|
二、情况说明
"""


def test_a_lone_bar_among_barred_cells_is_an_empty_cell():
    found = keys(FINAL + BARRED_CELLS)
    assert ("three_public.outbound_travel", "200000", 2021, "budgeted") in found, sorted(found)
    assert ("three_public.reception", "52100", 2021, "executed") in found


def test_lone_bars_between_rows_separate_them():
    found = keys(FINAL + BARS_BETWEEN_ROWS)
    for key in [("three_public.total", "2460000", 2021, "budgeted"), ("three_public.total", "1673700", 2021, "executed"),
                ("three_public.reception", "21400", 2021, "executed")]:
        assert key in found, (key, sorted(found))


@pytest.mark.parametrize("text,flagged", [
    (FINAL + "2021年公务接待费为86万元，较上年97万元下降11%。", False),
    (FINAL + "2021年公务接待费为86万元，较上年97万元下降15%。", True),
    (FINAL + "2021年公务接待费为86万元，较上年97万元增长11%。", True),
    # the compared figure stated twice with two values: which one is meant is not known
    (FINAL + "2020年公务接待费97万元。2020年公务接待费95万元。2021年公务接待费为86万元，比2020年下降15%。", False),
])
def test_a_rate_alone_against_the_compared_figure(text, flagged):
    assert ("change_rate_mismatch" in rules(text)) is flagged


def test_the_two_sides_of_a_joint_term():
    found = keys(FINAL + "2021年度收、支总计各是4125.49,4143.91万元。")
    assert ("total_revenue_expenditure", "41254900", 2021, "executed") in found
    assert ("total_revenue_expenditure", "41439100", 2021, "executed") in found
    assert rules(FINAL + "2021年度收、支总计各是4125.49,4143.91万元。") == ["balance_mismatch"]


def test_counts_in_other_words_do_not_conflict():
    assert rules(FINAL + "本单位编制人数63人，实有人数63人，在职人数61人。") == []
    assert rules(FINAL + "本单位实有人数63人。本单位实有人数61人。") == ["conflicting_values"]


def test_a_fund_s_own_total_does_not_conflict_with_the_whole():
    text = (FINAL + "2021年度年末结转和结余164.61万元。"
            "2021年度一般公共预算收入总计1085.31万元，本年支出1070.67万元，年末结转和结余30.65万元。")
    assert "conflicting_values" not in rules(text)
    assert "conflicting_values" in rules(FINAL + "2021年度年末结转和结余164.61万元。2021年度年末结转和结余30.65万元。")


HEADERLESS = """一、2021年度“三公”经费财政拨款支出决算表
单位:万元

63.30

42.00

因公出国(境)费

0.00

0.00

公务接待费

50.50

30.00

公务用车购置及运行维护费

12.80

12.00
二、情况说明
"""


def test_a_standard_form_whose_header_the_text_left_out():
    r = extract(FINAL + HEADERLESS)
    table = [t for t in r.document["tables"] if t.get("implied_headers")][0]
    assert table["implied_headers"] == ["项目", "预算数", "决算数"]
    found = keys(FINAL + HEADERLESS)
    for key in [("three_public.reception", "505000", 2021, "budgeted"), ("three_public.reception", "300000", 2021, "executed")]:
        assert key in found, (key, sorted(found))
    # the row without a label is not guessed to be the 合计
    assert not [k for k in found if k[0] == "three_public.total"]


def test_a_finding_over_implied_columns_is_at_most_a_warning():
    text = FINAL + "2021年公务接待费决算为31万元。\n" + HEADERLESS
    found = [f for f in extract(text).findings if f["rule"] in ("text_table_mismatch", "conflicting_values")]
    assert found and all(f["severity"] == "warning" for f in found)


def test_a_bare_word_opening_a_change_names_its_subject():
    text = BUDGET + "(一)收入预算:2021年年初预算数2001.98万元,其中:一般公共预算拨款2001.98万元;收入较去年增加250.41万元。"
    f = fact(text, "revenue_total", "20019800", 2021, "budgeted")
    assert f["change"]["amount"] == "2504100" and f["change"]["compared_year"] == 2020


def test_an_alternative_verb_in_parentheses():
    f = fact(BUDGET + "2021年公务接待费预算12.4万元，较2020年决算下降(上升)0%。", "three_public.reception", "124000", 2021, "budgeted")
    assert f["change"]["rate"] == "0" and f["change"]["direction"] == "flat"


@pytest.mark.parametrize("text,key", [
    (BUDGET + "2021年一般公共预算财政拨款支出1643.29万元。其中:基本支出952.50万元,项目支出690.79万元。",
     ("appropriation.general_budget_basic", "9525000", 2021, "budgeted")),
    (BUDGET + "1.基本支出预算881300.39元,占一般公共预算支出的96.74%。", ("appropriation.general_budget_basic", "881300.39", 2021, "budgeted")),
    (FINAL + "本单位收支情况如下。\n2021年度一般公共预算收入总计1085.31万元,本年支出1070.67万元。",
     ("appropriation.general_budget_expenditure", "10706700", 2021, "executed")),
])
def test_a_concept_of_the_whole_stated_for_one_fund(text, key):
    assert key in keys(text), sorted(keys(text))


def test_a_fund_named_inside_a_list_does_not_change_a_later_total():
    found = keys(FINAL + "2021年本年收入100万元,其中一般公共预算财政拨款收入90万元,本年支出98万元。")
    assert ("expenditure_total", "980000", 2021, "executed") in found


# ---------------------------------------------------------------- the budget a note declares adjusted
NOTE = ("注：本表反映本年度一般公共预算财政拨款“三公”经费支出预决算情况。其中，预算数为“三公”经费全年预算数，"
        "反映按规定程序调整后的预算数；决算数是包括当年一般公共预算财政拨款和以前年度结转资金安排的实际支出。\n")


def test_a_note_that_calls_the_budget_adjusted_makes_the_three_public_budget_adjusted():
    text = FINAL + NOTE + "2021年“三公”经费支出预算为3.2万元，支出决算为2.9万元。公务接待费预算为1.5万元。"
    found = keys(text)
    assert ("three_public.total", "32000", 2021, "adjusted") in found
    assert ("three_public.reception", "15000", 2021, "adjusted") in found
    assert ("three_public.total", "29000", 2021, "executed") in found
    assert not any(k[0].startswith("three_public.") and k[3] == "budgeted" for k in found)


def test_without_the_note_the_budget_stays_the_budget():
    found = keys(FINAL + "2021年“三公”经费支出预算为3.2万元，支出决算为2.9万元。")
    assert ("three_public.total", "32000", 2021, "budgeted") in found


# ---------------------------------------------------------------- group headers collapsed above a complete row
def test_a_pipe_table_whose_group_header_collapsed_is_read_by_its_complete_header_row():
    text = ("某中心2025年部门预算公开表\n财政拨款收支总表 | | | | | |\n金额单位:万元 | | | | | |\n"
            "收入 | 支出 | | | | |\n项目 | 预算数 | 项目 | 合计 | 一般公共预算 | 政府性基金预算 |\n"
            "一、本年收入 | 61.20 | 一、本年支出 | 61.20 | 61.20 | |\n"
            "一般公共预算资金 | 61.20 | 一般公共服务支出 | 40.00 | 40.00 | |\n"
            "收入总计 | 61.20 | 支出总计 | 61.20 | 61.20 | |\n")
    result = extract(text)
    found = {(f["concept"], f["value"]): f for f in result.facts}
    total = found[("appropriation.total", "612000")]
    assert total["statement"]["name"] == "财政拨款收支总表" and total["evidence"]["col"] == 1
    assert ("revenue.general_budget_appropriation", "612000") in found


def test_a_pipe_table_whose_values_outrun_its_header_is_still_not_read():
    text = ("某中心2025年部门预算公开表\n财政拨款收支总表 | | | | | |\n"
            "收入 | 支出 | | | | |\n项目 | 预算数 | 项目 | | | |\n"
            "一、本年收入 | 61.20 | 一、本年支出 | 61.20 | 61.20 | |\n")
    assert not any(f["statement"].get("name") == "财政拨款收支总表" for f in extract(text).facts)


@pytest.mark.parametrize("wording,concept", [
    ("公务用车运行维护及购置费", "three_public.vehicle"), ("一般公共预算资金", "revenue.general_budget_appropriation"),
    ("政府性基金预算资金", "revenue.government_fund_appropriation"),
])
def test_wordings_of_real_pages(wording, concept):
    fact(BUDGET + f"2021年{wording}预算为8.5万元。", concept, "85000", 2021, "budgeted")


# ---------------------------------------------------------------- an overview's changes, the figures in the details after
def test_a_change_clause_naming_its_subject_reaches_the_figure_the_details_state_after_it():
    text = (FINAL + "2021年“三公”经费支出决算为6.2万元，比去年增加1.2万元，增长24%。其中，因公出国支出决算比去年无增减变化；"
            "公务用车购置支出决算比预算无增减变化，比去年无增减变化，公务用车运行维护费支出决算比预算无增减变化，"
            "比去年增加0.8万元，增长25%。具体情况如下：\n（一）因公出国（境）费支出0万元。\n（二）公务用车购置费0万元。\n"
            "（三）公务用车运行维护费支出4万元。\n")
    operation = fact(text, "three_public.vehicle_operation", "40000", 2021, "executed")
    assert (operation["change"]["amount"], operation["change"]["rate"], operation["change"]["direction"]) == ("8000", "0.25", "increase")
    assert operation["change"]["compared_year"] == 2020
    assert [c["compared_phase"] for c in operation.get("other_changes", [])] == ["budgeted"]
    purchase = fact(text, "three_public.vehicle_purchase", "0", 2021, "executed")
    assert purchase["change"]["direction"] == "flat" and purchase["change"]["compared_year"] == 2020
    outbound = fact(text, "three_public.outbound_travel", "0", 2021, "executed")
    assert outbound["change"]["direction"] == "flat"


# ---------------------------------------------------------------- a difference without its sign
@pytest.mark.parametrize("clause,direction,amount", [
    ("2021年公务接待费支出决算2.7万元，与年初预算3.2万元相比，差值为0.5万元。", "decrease", "5000"),
    ("2021年公务接待费支出决算3.7万元，与年初预算3.2万元相比，差额为0.5万元。", "increase", "5000"),
    ("2021年公务接待费支出决算3.2万元，与2021年度预算相比，相差0.00万元。", "flat", "0"),
])
def test_a_difference_takes_its_sign_from_the_two_figures(clause, direction, amount):
    found = [f for f in extract(FINAL + clause).facts if f["concept"] == "three_public.reception" and f["phase"] == "executed"]
    assert found and found[0]["change"]["direction"] == direction and found[0]["change"]["amount"] == amount


def test_a_difference_whose_compared_figure_is_not_stated_is_left_unread():
    found = fact(FINAL + "2021年公务接待费支出决算2.7万元，与年初预算相比，差值为0.5万元。",
                 "three_public.reception", "27000", 2021, "executed")
    assert found["change"] is None


# ---------------------------------------------------------------- two bodies on one page, rates after a change
TWO_BODIES = """2021年“三公”经费预算安排和使用情况

2021年全县“三公经费”财政拨款支出48万元，比上年减支4万元，降低7.69%，为年初预算数60万元的80%。其中：公车购置支出5万元，为年初预算数5万元的100%；公务用车运行维护费支出37万元，为年初预算数45万元的82.22%；公务接待费支出6万元，为年初预算数10万元的60%；因公出国费支出0万元。
县本级“三公经费”财政拨款支出11万元，比上年减支1万元，下降8.33%，为年初预算数15万元的73.33%。其中：公车购置支出2万元；公务用车运行维护费支出9万元。
"""


def test_figures_of_two_bodies_are_compared_within_their_body():
    r = extract(TWO_BODIES)
    assert r.document["doc_type"] == "final_accounts"          # a report of how the budget was used
    assert [f for f in r.findings if f["rule"] in ("conflicting_values", "sum_mismatch")] == []
    found = keys(TWO_BODIES)
    for key in [("three_public.total", "480000", 2021, "executed"), ("three_public.total", "600000", 2021, "budgeted"),
                ("three_public.vehicle_operation", "370000", 2021, "executed"),
                ("three_public.vehicle_purchase", "50000", 2021, "executed"),
                ("three_public.total", "110000", 2021, "executed")]:
        assert key in found, (key, sorted(found))
    assert found[("three_public.total", "480000", 2021, "executed")]["budget_completion_rate"] == "0.8"


def test_a_sum_that_fails_within_one_body_is_still_found():
    text = TWO_BODIES.replace("公务接待费支出6万元", "公务接待费支出9万元")
    sums = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert sums and all("48" in f["message"] and "11万元" not in f["message"] for f in sums)


def test_a_sum_of_two_halves_names_each_half():
    text = FINAL + ("2021年“三公”经费支出决算为8.00万元，其中：因公出国(境)费0.00万元，公务用车购置费3.00万元，"
                    "公务用车运行维护费4.00万元，公务接待费2.00万元。")
    sums = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert len(sums) == 1 and "公务用车购置费3" in sums[0]["message"] and "公务用车运行（维护）费4" in sums[0]["message"]
    assert len(sums[0]["evidence"]) == 5


@pytest.mark.parametrize("text,wanted,unwanted", [
    # the figure inside 与2018年…相比 is of 2018
    (BUDGET + "2021年“三公”经费总额为21.5万元，与2020年“三公”经费总额27.3万元相比，减少5.8万元。",
     [("three_public.total", "273000", 2020, "budgeted"), ("three_public.total", "215000", 2021, "budgeted")],
     [("three_public.total", "273000", 2021, "budgeted")]),
    # two parts named together are their whole
    (BUDGET + "2021年公务用车运行维护费及公务用车购置费13.5万元。", [("three_public.vehicle", "135000", 2021, "budgeted")],
     [("three_public.vehicle_purchase", "135000", 2021, "budgeted")]),
])
def test_figures_named_in_comparisons_and_together(text, wanted, unwanted):
    found = keys(text)
    assert set(wanted) <= set(found) and not set(unwanted) & set(found), sorted(found)


def test_a_short_sum_with_a_half_not_stated_and_figures_in_doubt_is_a_note():
    # the page's type is not stated (every phase a guess), and of 公务用车 only the purchase is read:
    # the shortfall may be the running costs the page names otherwise, so it is no alarm
    text = ("2020年“三公”经费支出431万元。其中，因公出国(境)费用没有；公务用车及运行费支出251万元；"
            "公务用车购置支出56万元；公务接待支出124万元。")
    sums = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert sums and all(f["severity"] == "info" and f.get("uncertain") for f in sums)


def test_a_short_sum_in_a_document_of_known_type_stays_a_warning():
    text = FINAL + "2021年“三公”经费支出决算为40.00万元，其中：因公出国(境)费0.00万元，公务接待费12.40万元。"
    sums = [f for f in extract(text).findings if f["rule"] == "sum_mismatch"]
    assert [f["severity"] for f in sums] == ["warning"]


def test_a_heading_that_names_a_concept_is_the_subject_of_the_sentence_after_it():
    text = BUDGET + "（二）公务接待费。2021年预算支出11.8万元，比2020年预算减少0.2万元，下降1.67%，主要是厉行节约。"
    f = fact(text, "three_public.reception", "118000", 2021, "budgeted")
    assert f["change"]["direction"] == "decrease" and f["change"]["amount"] == "2000"
    assert f["change"]["compared_year"] == 2020 and f["change"]["compared_phase"] == "budgeted"


def test_a_heading_with_more_than_a_concept_is_no_subject():
    text = BUDGET + "（二）公务接待费的使用情况说明。2021年预算支出11.8万元。"
    assert not [k for k in keys(text) if k[0] == "three_public.reception"]


def test_a_comparison_whose_与_was_left_out():
    text = FINAL + "2. 公务接待费支出30.00万元, 2021年度预算相比,减少20.50万元,下降40.59%。"
    ch = fact(text, "three_public.reception", "300000", 2021, "executed")["change"]
    assert (ch["direction"], ch["amount"], ch["rate"], ch["compared_year"], ch["compared_phase"]) == \
        ("decrease", "205000", "0.4059", 2021, "budgeted")


def test_a_department_is_named_in_the_document_s_own_characters():
    text = "清遠市生態環境局2019年部門決算情況說明\n清遠市生態環境局2019年“三公”經費支出決算為7.5萬元。"
    assert extract(text).document["department"] == "清遠市生態環境局"


def test_without_a_title_figures_compared_with_the_year_s_budget_are_of_execution():
    text = ("根据《中华人民共和国预算法》的有关规定，2022年某州州本级部门使用财政拨款安排“三公”经费支出总额为"
            "82.3万元，比年初预算增加13.1万元。其中：因公出国(境)经费0万元，和年初预算持平。")
    r = extract(text)
    assert r.document["doc_type"] == "final_accounts"
    assert ("three_public.total", "823000", 2022, "executed") in keys(text)


def test_the_budget_a_difference_is_taken_from_heads_no_list():
    text = FINAL + ("2021年度本部门“三公”经费支出2.05万元，年初预算为2.95万元，差值为0.9万元。其中：因公出国(境)支出0万元，"
                    "年初预算为0万元，差值为0万元；公务用车运行维护费支出0万元，年初预算为0.95万元，差值为0.95万元。")
    found = keys(text)
    assert ("three_public.vehicle_operation", "0", 2021, "executed") in found, sorted(found)
    assert ("three_public.vehicle_operation", "9500", 2021, "budgeted") in found, sorted(found)
    assert not [f for f in extract(text).findings if f["rule"] == "conflicting_values"]


def test_a_change_clause_ends_where_the_next_item_begins():
    text = BUDGET + ("2021年公务用车购置费0元，增(减)0元，同比增长(下降)0%，主要是没有购车计划；"
                     "公务用车运行维护费325000元，增72000元，同比增长28.46%。")
    f = fact(text, "three_public.vehicle_purchase", "0", 2021, "budgeted")
    assert f["change"] is None or f["change"]["amount"] in (None, "0")
    assert not [x for x in extract(text).findings if x["rule"] == "impossible_change"]


def test_the_figure_compared_with_after_的():
    text = BUDGET + "2021年“三公”经费预算总额为19.69万元，较2020年的21.9万元减少2.21万元，下降10.1%。"
    assert ("three_public.total", "219000", 2020, "budgeted") in keys(text), sorted(keys(text))


def test_a_change_whose_stated_base_is_another_figure_s_is_not_attached():
    text = FINAL + ("2021年总支出7778.55万元，其中项目支出683.20万元，基本支出7095.35万元。\n"
                    "相比2020年的总支出7171.97增加606.58万元，增幅8.46%。")
    assert not [f for f in extract(text).findings if f["rule"] == "change_rate_mismatch"]
    basic = fact(text, "expenditure.basic", "70953500", 2021, "executed")
    assert basic["change"] is None


def test_a_change_whose_stated_base_fits_is_attached():
    text = FINAL + "2021年基本支出7095.35万元。\n相比2020年的支出6488.77增加606.58万元，增幅9.35%。"
    assert fact(text, "expenditure.basic", "70953500", 2021, "executed")["change"]["amount"] == "6065800"
