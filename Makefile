# Two commands on a fresh machine (Python 3.11 and make):
#   make reports   set up .venv and produce the example appraisals' reports under reports/
#   make test      set up .venv and run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

.PHONY: install reports test bench app clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

reports: install
	$(BIN)/python scripts/make_reports.py --jobs $(JOBS)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python scripts/bench.py

app: install
	$(BIN)/python scripts/serve_app.py

clean:
	rm -rf $(VENV) reports/example_*
