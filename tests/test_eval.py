"""The evaluation: matching, findings scored by their figures, sets and splits, the real corpus."""
import hashlib
import json
import subprocess

import pytest

from extractors import extract
from extractors.eval_sets import UNANNOTATED, draw_splits, load_sets, read_manifest
from extractors.evaluate import figure_values, score
from service.cli import main

from .conftest import CORPUS, ROOT

MANIFEST = CORPUS / "eval.yaml"
REAL_SETS = ("real-texts", "real-pdfs")
DECIDED = "部门决算情况说明\n2021年本年支出合计270万元，其中：基本支出185.88万元；项目支出94.12万元。"


def gold(**parts):
    return {"doc": "x.txt", "document": {"doc_type": "final_accounts"}, "facts": [], "line_items": [],
            "findings": [], **parts}


def item(amount, scope=None, **names):
    row = {"level": "class", "class": "一般公共服务支出", "kind": None, "item": None, "amount": amount,
           "phase": "executed", "function_code": "201", **names}
    return {**row, "scope": scope} if scope else row


def result_with(items=(), facts=()):
    return {"document": {"doc_type": "final_accounts"}, "facts": list(facts), "line_items": list(items),
            "findings": [], "quantities": []}


# ---- facts and line items
def test_facts_match_by_concept_value_year_and_phase_and_optional_rows_count_neither_way():
    g = gold(facts=[{"concept": "expenditure_total", "value": "2700000", "fiscal_year": 2021},
                    {"concept": "expenditure.basic", "value": "1858800", "fiscal_year": 2021, "optional": True}])
    predicted = [{"concept": "expenditure_total", "value": "2700000", "fiscal_year": 2021, "phase": "executed"},
                 {"concept": "expenditure.basic", "value": "1858800", "fiscal_year": 2021, "phase": "executed"},
                 {"concept": "expenditure.project", "value": "1", "fiscal_year": 2021, "phase": "budgeted"}]
    rep = score(g, result_with(facts=predicted))
    assert (rep.facts.tp, rep.facts.fp, rep.facts.fn) == (1, 1, 0)


def test_line_items_of_two_scopes_count_once_until_the_extractor_gives_scopes():
    g = gold(line_items=[item("100", "all_funds"), item("100", "general_budget"), item("80", "fiscal_appropriation")])
    unscoped = score(g, result_with([item("100"), item("100")]))
    assert not unscoped.scoped_line_items
    assert (unscoped.line_items.tp, unscoped.line_items.fp, unscoped.line_items.fn) == (1, 0, 1)
    scoped = score(g, result_with([item("100", "all_funds"), item("80", "general_budget")]))
    assert scoped.scoped_line_items
    assert (scoped.line_items.tp, scoped.line_items.fp, scoped.line_items.fn) == (1, 1, 2)


def test_amounts_compare_as_numbers():
    rep = score(gold(line_items=[item("633400")]), result_with([item("633400.00")]))
    assert rep.line_items.tp == 1


# ---- findings: caught by their figures; alarms true or false
@pytest.fixture(scope="module")
def decided():
    return extract(DECIDED).to_dict()


def test_the_sample_sum_is_an_error_in_a_decided_document(decided):
    assert [f["severity"] for f in decided["findings"] if f["rule"] == "sum_mismatch"] == ["error"]


@pytest.mark.parametrize("finding,caught", [
    ({"rule": "sum_mismatch", "figures": ["270万元", "185.88万元", "94.12万元"]}, True),
    ({"rule": "sum_mismatch", "figures": ["270万元"]}, True),
    ({"rule": "sum_mismatch", "figures": ["270万元", "84.12万元"]}, False),        # not a figure it cites
    ({"rule": "share_mismatch", "figures": ["270万元", "185.88万元"]}, False),     # another rule
])
def test_a_gold_finding_is_caught_by_a_finding_of_its_rule_that_cites_its_figures(decided, finding, caught):
    rep = score(gold(findings=[finding]), decided)
    assert rep.findings.right == caught and rep.findings.total == 1
    assert rep.alarms.total == 1 and rep.alarms.right == caught
    assert len(rep.false_alarms) == (not caught)
    if not caught:
        alarm = rep.false_alarms[0]
        assert alarm.rule == "sum_mismatch" and alarm.severity == "error" and "270" in alarm.message


def test_rules_of_one_family_catch_each_other():
    text = "部门决算\n2021年基本支出185.88万元。\n附件：2021年基本支出270万元。"
    result = extract(text).to_dict()
    rules = {f["rule"] for f in result["findings"]}
    assert "conflicting_values" in rules
    for gold_rule in ("conflicting_values", "cross_table_mismatch", "text_table_mismatch"):
        rep = score(gold(findings=[{"rule": gold_rule, "figures": ["185.88万元", "270万元"]}]), result)
        assert rep.findings.right == 1, gold_rule


def test_absent_checklist_items_and_info_are_not_alarms(decided):
    rules = {f["rule"]: f["severity"] for f in decided["findings"]}
    assert "missing_required_item" in rules
    rep = score(gold(), decided)
    assert rep.alarms.total == sum(f["severity"] in ("error", "warning") and f["rule"] != "missing_required_item"
                                   for f in decided["findings"])


def test_a_gold_finding_without_figures_takes_one_finding_of_its_rule(decided):
    missing = [f for f in decided["findings"] if f["rule"] == "missing_required_item"]
    g = gold(findings=[{"rule": "missing_required_item"}] * (len(missing) + 1))
    assert score(g, decided).findings.right == len(missing)


@pytest.mark.parametrize("printed,value", [
    ("13,907.78万元", "139077800"), ("59.40%", "0.594"), ("50萬元", "500000"), ("-47.95%", "0.4795"),
    ("8人", "8"), ("2020年度", "2020"), ("3,541.07元", "3541.07"),
])
def test_gold_figures_are_read_as_printed(printed, value):
    from decimal import Decimal
    assert figure_values([printed]) == [Decimal(value)]


# ---- splits
def test_the_split_is_a_seeded_third_whatever_the_order_of_the_names():
    names = [f"d{i:02}.txt" for i in range(31)]
    first = draw_splits(names, 7, "1")
    assert first == draw_splits(list(reversed(names)), 7, "1")
    assert sum(s == "test" for s in first.values()) == 11
    assert first != draw_splits(names, 8, "1")
    assert set(draw_splits(names, 7, "0").values()) == {"dev"}      # tuned on before any split


@pytest.mark.parametrize("set_id", REAL_SETS)
def test_each_manifest_records_the_seeded_split_of_its_batches(set_id):
    spec = {s["id"]: s for s in __import__("yaml").safe_load(MANIFEST.read_text(encoding="utf-8"))["sets"]}[set_id]
    rows = read_manifest(CORPUS / spec["manifest"])
    golds = {json.loads(p.read_text(encoding="utf-8"))["doc"] for p in (CORPUS / spec["gold"]).glob("*.gold.json")}
    assert golds <= {r["file"] for r in rows}, "every gold file is in the manifest"
    batches = {r["batch"] for r in rows if r["batch"]}
    assert batches, "the split has been drawn"
    for batch in batches:
        members = [r for r in rows if r["batch"] == batch]
        drawn = draw_splits([r["file"] for r in members], spec["split_seed"], batch)
        assert {r["file"]: r["split"] for r in members} == drawn
    for r in rows:
        assert (r["file"] in golds) == (r["split"] != UNANNOTATED), r["file"]


def test_the_real_sets_are_large_enough():
    sets = {s.id: s for s in load_sets(MANIFEST)}
    texts = [e for e in sets["real-texts"].entries if e.gold]
    pdfs = [e for e in sets["real-pdfs"].entries if e.gold]
    assert len(texts) >= 72 and len(pdfs) >= 8
    rows = read_manifest(CORPUS / "real-texts" / "MANIFEST.tsv")
    provinces = {r["region"][:3] for r in rows if r["origin"] == "project"}
    assert len(provinces) >= 12
    added = [r for r in rows if r["origin"] == "project"]
    assert len(added) >= 40 and sum(r["level"] in ("county", "township") for r in added) * 2 >= len(added)


def test_every_gold_finding_names_the_figures_it_compares():
    for path in sorted(CORPUS.glob("**/*.gold.json")):
        for f in json.loads(path.read_text(encoding="utf-8")).get("findings", []):
            if f["rule"] in ("missing_required_item", "placeholder") or f.get("severity") == "info":
                continue
            assert f.get("figures"), f"{path.name}: {f['rule']} names no figures"
            figure_values(f["figures"])          # each is a number as printed


# ---- the real corpus stays outside the repository
def test_no_real_document_is_committed(shared):
    real = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (shared / "corpus" / "real").glob("*.pdf")}
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True).stdout
    files = [ROOT / f for f in tracked.split("\0") if f]
    copies = [f.name for f in files if f.is_file() and f.suffix.lower() == ".pdf"
              and hashlib.sha256(f.read_bytes()).hexdigest() in real]
    assert copies == []
    assert not any("real-pages/" in f for f in tracked.split("\0"))


def test_the_real_pdfs_are_the_ones_the_manifest_records(shared):
    for r in read_manifest(CORPUS / "real-pdfs" / "MANIFEST.tsv"):
        path = shared / "corpus" / "real" / r["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == r["sha256"], r["file"]


def test_recovered_page_texts_are_the_stored_ones():
    rows = read_manifest(CORPUS / "real-texts" / "MANIFEST.tsv")
    present = [(r, CORPUS / "real-pages" / r["file"]) for r in rows if (CORPUS / "real-pages" / r["file"]).is_file()]
    if not present:
        pytest.skip("the real page texts are not recovered here (git-ignored; corpus/real-texts/README.md)")
    for r, path in present:
        text = path.read_text(encoding="utf-8")
        assert len(text) == int(r["chars"]), r["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == r["sha256"], r["file"]


# ---- the command
def test_eval_prints_every_set_and_split_and_holds_the_test_split_back(shared, tmp_path, capsys):
    out_json = tmp_path / "eval.json"
    assert main(["eval", "own", "real-pdfs", "--split", "all", "--split", "dev", "--split", "test",
                 "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    figures = {(r["set"], r["split"]): r for r in json.loads(out_json.read_text(encoding="utf-8"))}
    assert {("own", "all"), ("real-pdfs", "dev"), ("real-pdfs", "test")} <= set(figures)
    own = figures[("own", "all")]
    assert own["facts"]["f1"] == 1.0 and own["line_items"]["f1"] == 1.0 and own["findings_recall"]["value"] == 1.0
    for key, r in figures.items():
        assert f"{key[0]} {key[1]} ({r['documents']} documents): facts P=" in out
        assert "alarm precision" in out and r["documents"] > 0
    dev, test = figures[("real-pdfs", "dev")], figures[("real-pdfs", "test")]
    for a in dev["false_alarms"]:
        assert a["message"] in out                                      # every dev false alarm is listed
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("      ")}
    assert not listed & {a["doc"] for a in test["false_alarms"]}       # the held-back ones are only counted
    if test["false_alarms"]:
        assert "held back; --show-test lists them" in out


def test_eval_of_a_plain_directory_of_gold_still_works(capsys):
    assert main(["eval", str(CORPUS)]) == 0
    assert "own all (12 documents): facts P=1.00 R=1.00 F1=1.00" in capsys.readouterr().out


def test_shared_gold_is_copied_unchanged_but_for_the_figures_of_findings(shared):
    for theirs in sorted((shared / "corpus" / "real-texts" / "gold").glob("*.gold.json")):
        ours = json.loads((CORPUS / "real-texts" / "gold" / theirs.name).read_text(encoding="utf-8"))
        for f in ours["findings"]:
            f.pop("figures", None)
        assert ours == json.loads(theirs.read_text(encoding="utf-8")), theirs.name


GOLD_RULES = {"sum_mismatch", "share_mismatch", "change_rate_mismatch", "completion_rate_mismatch",
              "implausible_completion_rate", "conflicting_values", "duplicate_line_item", "balance_mismatch",
              "text_table_mismatch", "cross_table_mismatch", "code_name_mismatch", "missing_required_item",
              "unit_error", "wording_mismatch", "placeholder", "year_mismatch", "repeated_punctuation",
              "missing_statement"}      # corpus/GOLD-FORMAT.md


def test_gold_files_follow_the_format():
    from decimal import Decimal
    from extractors.lexicon import get_lexicon
    concepts = set(get_lexicon().concepts)
    for path in sorted(CORPUS.glob("**/*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        where = path.name
        assert gold["document"].get("doc_type") in ("final_accounts", "budget", "performance_evaluation", "unknown"), where
        for f in gold["facts"]:
            assert f["concept"] in concepts, (where, f["concept"])
            assert f.get("phase", "executed") in ("executed", "budgeted", "adjusted"), (where, f)
            Decimal(f["value"])
            for slot in ("share", "budget_completion_rate"):
                if f.get(slot) is not None:
                    Decimal(f[slot])
        for i in gold["line_items"]:
            assert i["level"] in ("class", "kind", "item") and i["class"], (where, i)
            Decimal(i["amount"])
        for f in gold["findings"]:
            assert f["rule"] in GOLD_RULES, (where, f["rule"])
