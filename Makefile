# Two commands on a fresh machine (Python 3.11 and make):
#   make reports   set up .venv and produce the example appraisals' reports under reports/
#   make test      set up .venv and run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2

CHROMIUM := /usr/bin/chromium

.PHONY: install chromium reports test bench app clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium (browser tests, static charts): installed when missing and this user can (root, or sudo
# without a password); otherwise one line says how, and the browser tests are skipped (never in CI).
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: $(CHROMIUM) is missing and this is not a Debian system: install Chromium for the browser tests"; \
	elif [ "$$(id -u)" -eq 0 ]; then \
	  echo "installing Debian's chromium (apt-get)"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "installing Debian's chromium (sudo apt-get)"; sudo apt-get update -qq && \
	  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "note: Debian's chromium is not installed and this user cannot install it; the browser tests will be" \
	       "skipped. Install it with: sudo apt-get install chromium"; \
	fi

reports: install chromium
	$(BIN)/python scripts/make_reports.py --jobs $(JOBS)

# Test files are shared between two workers (a file's tests stay on one worker: they share its fixtures).
test: install chromium
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile

bench: install
	$(BIN)/python scripts/bench.py

PORT ?= 8866
app: install
	$(BIN)/python scripts/serve_app.py --port $(PORT)

clean:
	rm -rf $(VENV) reports/example_*
