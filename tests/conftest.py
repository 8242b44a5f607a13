import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CORPUS_TEXTS = sorted(p for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="session")
def validator():
    schema = json.loads((ROOT / "schema" / "contract-v1.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


@pytest.fixture(scope="session")
def sample_text():
    return (CORPUS / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")
