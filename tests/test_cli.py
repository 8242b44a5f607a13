"""The CLI prints the same JSON as the API, one line per document with --jsonl."""
import json
import subprocess
import sys

from service.cli import main

from .conftest import CORPUS


def run(*args):
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=120)


def test_extract_prints_the_contract_json(tmp_path):
    doc = CORPUS / "yanbian-union-2021-final-accounts.txt"
    p = run("extract", str(doc))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    from extractors import extract
    assert out == json.loads(json.dumps(extract(doc.read_bytes(), doc.name).to_dict()))


def test_jsonl_keeps_order_and_reports_errors_in_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    good = CORPUS / "miyi-audit-2023-three-public-only.txt"
    p = run("extract", "--jsonl", str(good), str(empty), str(tmp_path / "missing.txt"), str(good))
    assert p.returncode == 1
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["document"]["department"] == "米易县审计局"
    assert lines[1]["error"]["code"] == "E001"
    assert lines[2]["error"]["code"] == "E007"
    assert lines[3] == lines[0]
    assert "E001" in p.stderr


def test_single_failing_file_exits_nonzero_with_code_on_stderr(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 nothing")
    p = run("extract", str(bad))
    assert p.returncode == 1 and "E006" in p.stderr and p.stdout == ""
