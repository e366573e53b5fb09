# seldon-graphs developer entry points. Every target works from a fresh clone:
# the first one that needs Python creates .venv (Python 3.11) and installs the project.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRAPH ?= graphs/iris.yaml
OUT ?= build
SG := $(BIN)/seldon-graphs

.PHONY: install test lint validate compile explain bench golden clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check seldon_graphs wrappers scripts tests
	$(BIN)/mypy

validate: $(STAMP)
	$(SG) validate $(GRAPH)

compile: $(STAMP)
	$(SG) compile $(GRAPH) -o $(OUT)

explain: $(STAMP)
	$(SG) explain $(GRAPH)

bench: $(STAMP)
	$(BIN)/python scripts/bench_compile.py

# Regenerate the committed expected outputs (golden files); CI only compares.
golden: $(STAMP)
	$(BIN)/python scripts/regen_golden.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
