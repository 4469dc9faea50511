# Quick start: `make demo` then `make test`. Both set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test test-slow lint format system-deps postgres notebook clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mentorlens demo

run: $(STAMP)
	$(BIN)/mentorlens run

# The default run: everything but the tests marked slow (CI runs those too, with test-slow),
# on two workers, each test file whole on one of them (tests/conftest.py).
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadgroup
test: $(STAMP) system-deps
	$(PYTEST) -m "not slow"

# Debian packages for the browser tests (needs root or sudo; CI runs as root). Without them
# those tests skip with the reason.
system-deps:
	@bash scripts/install-system-deps.sh || echo "mentorlens: could not install system packages; the tests that need them will skip."

# The tests marked slow: simulated organisations with planted effects, the crash-safety kills.
test-slow: $(STAMP) system-deps
	$(PYTEST) -m slow

# A local PostgreSQL for the team-deployment test (the test also runs this itself).
postgres:
	bash scripts/install-postgres.sh

# The analyst notebook (examples/analyst.py, percent format) in JupyterLab, on a kernel that is
# this project's .venv. The .ipynb is made once under data/notebooks/ (git-ignored), so your
# outputs and edits stay; delete it to start again from examples/analyst.py.
NOTEBOOK := data/notebooks/analyst.ipynb
notebook: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name mentorlens --display-name "mentorlens (.venv)"
	@mkdir -p $(dir $(NOTEBOOK))
	@test -f $(NOTEBOOK) || $(BIN)/jupytext --quiet --to ipynb --set-kernel mentorlens --output $(NOTEBOOK) examples/analyst.py
	MENTORLENS_WAREHOUSE=$${MENTORLENS_WAREHOUSE:-$(CURDIR)/data/warehouse/mentorlens.duckdb} $(BIN)/jupyter lab $(NOTEBOOK)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
