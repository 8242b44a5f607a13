import json
import os
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
IN_CI = os.environ.get("CI") == "true"


def require(available: bool, what: str) -> None:
    """Skip with a visible reason when a system tool is missing; in CI a missing tool fails."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing in CI (scripts/system-deps.sh installs it as root)")
    pytest.skip(f"{what} is not installed (run scripts/system-deps.sh as root)")


@pytest.fixture
def tesseract():
    from extractors.decode.ocr import tesseract_available
    require(tesseract_available(), "tesseract-ocr with chi_sim")


@pytest.fixture
def libreoffice():
    require(bool(shutil.which("soffice")), "LibreOffice (soffice)")


@pytest.fixture
def cjk_font():
    require(CJK_FONT.exists(), "a CJK font (fonts-wqy-microhei)")
    return CJK_FONT


@pytest.fixture(scope="session")
def validator():
    schema = json.loads((ROOT / "schema" / "contract-v1.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


@pytest.fixture(scope="session")
def sample_text():
    return (CORPUS / "yanbian-union-2021-final-accounts.txt").read_text(encoding="utf-8")
