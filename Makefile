# zhidu — the two Quick-start commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export ZHIDU_DATA_DIR ?= $(CURDIR)/var

.PHONY: run setup test test-only lint typecheck browser messages bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "zhidu needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

## Set up (venv, dependencies, database, demo data) and start the app on SQLite.
run: setup
	$(BIN)/zhidu serve --host $(HOST) --port $(PORT) --no-migrate

setup: $(VENV)/.installed
	$(BIN)/zhidu migrate --verbosity 0
	$(BIN)/zhidu demo

## Set up everything the tests need and run the whole suite (lint, types, tests).
test: $(VENV)/.installed-dev browser lint typecheck test-only

test-only: $(VENV)/.installed-dev
	bash scripts/pytest.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

browser:
	@bash scripts/ensure-chromium.sh

## Re-extract translations (needs GNU gettext), fill in the English table, compile.
messages: $(VENV)/.installed-dev
	cd src/zhidu && ../../$(BIN)/zhidu makemessages -l en --no-obsolete --add-location file
	$(BIN)/python scripts/translations_en.py
	$(BIN)/python scripts/compile_messages.py

bench: $(VENV)/.installed-dev
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
