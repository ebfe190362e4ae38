# The two commands: `make demo` and `make test`. Everything else is listed by `make help`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Keep UV_VERSION equal to the ARG in services/*/Dockerfile (tests/deploy checks it).
UV_VERSION := 0.13.9
UV := $(BIN)/uv
# The installed set is keyed on what decides it: the declared dependencies and their lock.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml uv.lock 2>/dev/null | md5sum | cut -c1-8)
# torch's version is the lock's; its wheel comes from pip (the CPU wheel where one lies on disk,
# else TORCH_INDEX_URL, e.g. https://download.pytorch.org/whl/cpu): uv would take PyPI's CUDA build.
TORCH_VERSION = $(shell sed -n '/^name = "torch"$$/{n;s/^version = "\(.*\)"$$/\1/p;q;}' uv.lock)
TORCH_INDEX_URL ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list every target
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "need Python 3.11 ($(PY)) on PATH"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# Everything from uv.lock: torch alone with pip (see TORCH_VERSION), then the lock's pins for the
# dev extra (every extra) exported with hashes and installed by uv with torch already satisfied,
# then the project itself, editable. --compile-bytecode as pip does: where
# PYTHONDONTWRITEBYTECODE is set, nothing else writes .pyc files and every command (and every
# test subprocess) would compile mlflow & co. from source again: +6 s per `newsmodel compare`.
$(STAMP): $(BIN)/python pyproject.toml uv.lock
	$(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(BIN)/pip install -q --no-deps $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) "torch==$(TORCH_VERSION)"
	@$(UV) export --locked --quiet --extra dev --no-emit-project --no-emit-package torch -o $(VENV)/requirements.txt \
	  || { echo "uv.lock does not match pyproject.toml: run 'make lock' and commit uv.lock"; exit 1; }
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -r $(VENV)/requirements.txt
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP) ## create or reuse .venv with every extra installed, as pinned in uv.lock

lock: $(BIN)/python ## re-resolve uv.lock after a change to pyproject.toml (upgrade one: make lock ARGS='-P NAME')
	$(UV) lock $(ARGS)

test: venv ## run the whole test suite on real services (Postgres, Redis, MLflow, GCS emulator)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: venv ## the suite without tests marked slow
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

demo: venv ## the whole platform on this machine with no servers: crawl -> train -> promote -> serve -> index
	$(BIN)/python scripts/demo.py

check: venv ## ruff (lint + format check), mypy, and uv.lock up to date with pyproject.toml
	$(UV) lock --check
	$(BIN)/ruff check newsmodel crawler app tests bench migrations scripts
	$(BIN)/ruff format --check newsmodel crawler app tests bench migrations scripts
	$(BIN)/mypy

fmt: venv ## format the code with ruff
	$(BIN)/ruff format newsmodel crawler app tests bench migrations scripts
	$(BIN)/ruff check --fix newsmodel crawler app tests bench migrations scripts

migrate: venv ## apply migrations to DATABASE_URL (default: SQLite under var/)
	$(BIN)/newsmodel db upgrade

bench: venv ## run every benchmark in bench/ and write BENCHMARKS.md (one: make bench BENCH_ARGS="--only serve")
	@bash scripts/ensure_wrk.sh
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

reliability: venv ## fault + load suites, writes RELIABILITY.md
	rm -rf test-artifacts/reliability
	NEWSMODEL_LOAD_MODE=full $(BIN)/python -m pytest tests/reliability -m "" $(PYTEST_ARGS); status=$$?; \
	$(BIN)/python scripts/reliability_report.py; exit $$status

compose-check: ## docker-compose.yml end to end on the engine `docker` points at (builds, up, train, promote, serve, crawl, down -v)
	python3 scripts/compose_check.py

clean: ## remove the demo state (var/) and caches, keep .venv
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help venv lock test test-fast demo check fmt migrate bench reliability compose-check clean
