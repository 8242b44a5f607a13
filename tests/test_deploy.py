"""The image and the compose file (no container engine runs on these machines: the compose file is
checked against the Compose specification by docker-compose, which needs none)."""
import re
import shutil
import subprocess

import yaml

from service.settings import Settings

from .conftest import ROOT, require

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = ROOT / "compose.yaml"


def test_the_compose_file_is_valid_by_the_compose_specification(tmp_path):
    require(shutil.which("docker-compose") is not None, "docker-compose (Debian's package)")
    ok = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "compose.yaml"          # the check can fail: a misspelt key is refused
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("healthcheck:", "healthchek:", 1), encoding="utf-8")
    refused = subprocess.run(["docker-compose", "-f", str(broken), "config", "-q"], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode != 0 and "healthchek" in refused.stderr


def test_the_compose_file_runs_the_store_the_broker_the_api_workers_and_a_crawler():
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "api", "worker", "crawler"} <= set(services)
    assert services["worker"]["command"][:2] == ["fiscal-extract", "worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    known = {f"FISCAL_{name.upper()}" for name in Settings.model_fields}
    for name, service in services.items():
        env = service.get("environment") or {}
        unknown = {k for k in env if k.startswith("FISCAL_")} - known
        assert not unknown, f"{name}: {unknown} are no settings"
        if name in ("api", "worker", "crawler"):
            assert env["FISCAL_BROKER_URL"].startswith("redis://redis:")
            assert env["FISCAL_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_the_image_has_the_tools_runs_as_a_user_and_checks_its_health():
    packages = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", DOCKERFILE.split("apt-get install", 1)[1].split("&&", 1)[0]))
    assert {"tesseract-ocr", "tesseract-ocr-chi-sim", "libreoffice-writer-nogui", "fonts-wqy-microhei"} <= packages
    user = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*readyz", DOCKERFILE, re.M)
    for part in ("extractors", "service", "crawler", "lexicons", "schema"):
        assert re.search(rf"^COPY {part} ", DOCKERFILE, re.M), part
