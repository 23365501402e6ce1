# Two commands for a new user: `make demo` and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

# Test processes (pytest-xdist). Many tests wait on local servers and child processes,
# so more workers than cores pays off; override with `make test TEST_WORKERS=1`.
TEST_WORKERS ?= 4

.PHONY: demo test test-fast test-data goldens clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh $(BIN)/trustpublish

test: $(STAMP)
	@bash scripts/ensure-test-tools.sh
	@bash scripts/ensure-postgres.sh
	@$(MAKE) -s test-data
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# Third-party data the tests read (scripts/fetch-npm-file.sh says what and why).
test-data:
	@bash scripts/fetch-npm-file.sh caniemail 2.0.2 data/caniemail.json .cache/caniemail/caniemail-2.0.2.json
	@bash scripts/fetch-npm-file.sh axe-core 4.10.3 axe.min.js .cache/axe-core/axe-4.10.3.min.js

# The fast tier (tests/README.md): in-process tests only, under a minute.
test-fast: $(STAMP)
	@bash scripts/ensure-postgres.sh
	@$(MAKE) -s test-data
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow and not process and not browser"

goldens: $(STAMP)
	TRUSTPUBLISH_UPDATE_GOLDENS=1 $(BIN)/python -m pytest -q -k golden

# Benchmarks. The peers of benchmarks/build_bench.py (Pelican, Hugo) and the parsers
# compared by benchmarks/parser_bench.py are benchmark-only: Pelican and the parsers go
# into their own venv (.cache/bench-venv), Hugo comes from Debian's `hugo` package.
BENCH_VENV = .cache/bench-venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q "pelican[markdown]>=4.9,<5" "markdown-it-py>=3,<5" \
	  "markdown-it-pyrs>=0.4,<0.5" pyromark cmarkgfm
	touch $@

bench: $(STAMP) $(BENCH_VENV)/.installed
	@command -v hugo >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q hugo)
	@for b in benchmarks/*_bench.py; do echo "== $$b"; \
	  case $$b in *parser_bench.py) py=$(BENCH_VENV)/bin/python;; *) py=$(BIN)/python;; esac; \
	  $$py $$b || exit 1; done

clean:
	rm -rf $(VENV) dist outbox state build *.egg-info src/*.egg-info
