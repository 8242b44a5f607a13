# Two commands do all the set-up: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test bench bench-smoke bench-deps eval clean system-deps corpus

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(BIN)/fiscal-extract serve --host 127.0.0.1 --port 8000

system-deps:
	bash scripts/system-deps.sh

test: install system-deps
	$(BIN)/python -m pytest -q

corpus: install
	$(BIN)/python corpus/synthetic/build.py corpus

# every set of corpus/eval.yaml, each split apart (the real page texts come back as corpus/real-texts/README.md says)
eval: install
	$(BIN)/fiscal-extract eval --json var/eval.json

bench-deps:
	-command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }
	$(BIN)/python -m pip install --quiet -e ".[bench]"

bench: install bench-deps
	$(BIN)/python bench/run.py

bench-smoke: install bench-deps
	$(BIN)/python bench/run.py --smoke

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis var
