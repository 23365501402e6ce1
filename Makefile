# Two commands for a new user: `make demo` and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test test-fast goldens clean bench

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
	@bash scripts/fetch-caniemail.sh
	@bash scripts/fetch-axe-core.sh
	$(BIN)/python -m pytest

# The fast tier (tests/README.md): in-process tests only, under a minute.
test-fast: $(STAMP)
	@bash scripts/ensure-postgres.sh
	@bash scripts/fetch-caniemail.sh
	$(BIN)/python -m pytest -q -m "not slow and not process and not browser"

goldens: $(STAMP)
	TRUSTPUBLISH_UPDATE_GOLDENS=1 $(BIN)/python -m pytest -q -k golden

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) dist outbox state build *.egg-info src/*.egg-info
