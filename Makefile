# Two commands: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist processes for `make test` (each has its own databases, temp dirs and ports: tests/conftest.py)
PYTEST_WORKERS ?= auto

.PHONY: install demo test lint typecheck clean migration bench

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements-ner.txt
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-ner.txt
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/msht-hub demo $(DEMO_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/scrub.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/prepare.py
	$(BIN)/python bench/stats.py

# Write the next migration from what hub/models.py adds to head: make migration MESSAGE="what changed"
migration: install
	$(BIN)/python -m hub.dev_migrations $(MESSAGE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
