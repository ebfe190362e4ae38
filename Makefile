# The two commands: `make demo` and `make test`. Everything else is listed by `make help`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list every target
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "need Python 3.11 ($(PY)) on PATH"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# torch first, with pip: it takes the CPU wheel where one lies on disk (the train extra pins
# the same version, so nothing later replaces it). The rest with uv when it installs (about 45 s
# instead of pip's 100 s); pip otherwise. --compile-bytecode as pip does: where
# PYTHONDONTWRITEBYTECODE is set, nothing else writes .pyc files and every command (and every
# test subprocess) would compile mlflow & co. from source again: +6 s per `newsmodel compare`.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade-strategy only-if-needed torch==2.13.0
	@echo "$(BIN)/uv pip install -e '.[dev]'"
	@$(BIN)/pip install -q uv 2>/dev/null \
	  && $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]' \
	  || { echo "uv failed or is not installable here; installing with pip"; $(BIN)/pip install -q -e '.[dev]'; }
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP) ## create or reuse .venv with every extra installed

test: venv ## run the whole test suite on real services (Postgres, Redis, MLflow, GCS emulator)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: venv ## the suite without tests marked slow
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

demo: venv ## the whole platform on this machine with no servers: crawl -> train -> promote -> serve -> index
	$(BIN)/python scripts/demo.py

check: venv ## ruff (lint + format check) and mypy
	$(BIN)/ruff check newsmodel crawler app tests bench migrations scripts
	$(BIN)/ruff format --check newsmodel crawler app tests bench migrations scripts
	$(BIN)/mypy

fmt: venv ## format the code with ruff
	$(BIN)/ruff format newsmodel crawler app tests bench migrations scripts
	$(BIN)/ruff check --fix newsmodel crawler app tests bench migrations scripts

migrate: venv ## apply migrations to DATABASE_URL (default: SQLite under var/)
	$(BIN)/newsmodel db upgrade

bench: venv ## run every benchmark in bench/ and write BENCHMARKS.md
	$(BIN)/python -m bench.run_all

reliability: venv ## fault + load suites, writes RELIABILITY.md
	rm -rf test-artifacts/reliability
	NEWSMODEL_LOAD_MODE=full $(BIN)/python -m pytest tests/reliability -m "" $(PYTEST_ARGS); status=$$?; \
	$(BIN)/python scripts/reliability_report.py; exit $$status

clean: ## remove the demo state (var/) and caches, keep .venv
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help venv test test-fast demo check fmt migrate bench reliability clean
