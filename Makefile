# seldon-graphs developer entry points. Every target works from a fresh clone:
# the first one that needs Python creates .venv (Python 3.11) and installs the project.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRAPH ?= graphs/iris.yaml
RUNTIME ?= process
PORT ?= 8000
OUT ?= build
SG := $(BIN)/seldon-graphs

CLUSTER_NAME ?= seldon
CONTEXT ?= kind-$(CLUSTER_NAME)
WAIT ?= 300
REGISTRY ?=
INGRESS ?= none
MONITORING ?= 0

.PHONY: run install test lint validate compile explain bench golden clean \
	kind-up kind-down deploy status diff delete test-cluster build base-image test-docker

# Example graphs whose server nodes need a locally trained model first. Defined before
# `run`: make expands a rule's prerequisites when it reads the rule, so a variable defined
# below it would still be empty there (a fresh clone then had no model to serve).
MODELS_graphs/iris.yaml := models/iris/model.joblib
MODELS_graphs/income.yaml := models/income/lr/model.joblib

# The README's first command: the walkthrough's iris model, trained here the first time
# (scikit-learn's bundled data, no network), served on http://127.0.0.1:$(PORT).
run: $(STAMP) $(MODELS_$(patsubst ./%,%,$(GRAPH)))
	$(SG) run $(GRAPH) --runtime $(RUNTIME) --port $(PORT)

models/iris/model.joblib: | $(STAMP)
	$(BIN)/python scripts/train_iris.py

models/income/lr/model.joblib: | $(STAMP)
	$(BIN)/python examples/income/train.py

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

# Every target of issue 14 in one table, each against its baseline measured in the same run
# (docs/performance.md): 5-10 minutes a run here. BENCH_RUNS=3 gives min / median / max.
# BENCH_EXTRA: a folder with httpx for the client comparison (bench_clients.py).
BENCH_RUNS ?= 1
bench: $(STAMP)
	$(BIN)/python scripts/bench_all.py --runs $(BENCH_RUNS) $(if $(BENCH_EXTRA),--extra $(BENCH_EXTRA))

# Wrapper images: size, cold and warm build times (Docker; pulls base images, slow).
.PHONY: bench-images
bench-images: $(STAMP)
	$(BIN)/python scripts/bench_images.py

# BentoML and Ray Serve serving the same 3-step pipeline, side by side (not in CI; the
# peers' venvs are made from PyPI on first use under ~/.cache/seldon-graphs-bench-peers).
.PHONY: bench-peers
bench-peers: $(STAMP)
	$(BIN)/python scripts/bench_peers.py

# Regenerate the committed expected outputs (golden files); CI only compares.
golden: $(STAMP)
	$(BIN)/python scripts/regen_golden.py
	SELDON_GRAPHS_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/wrapper/test_context.py

# Wrapper images (docs/images.md). BUILD_FLAGS e.g. --base-image seldon-graphs/base:bookworm
build: $(STAMP)
	$(SG) build $(GRAPH) $(BUILD_FLAGS)

# A local base image for machines without Docker Hub (debootstrap; needs root).
base-image:
	scripts/build_base_image.sh

test-docker: $(STAMP)
	$(BIN)/pytest -q -m docker

# Kubernetes (docs/deploy.md): a kind cluster with the Seldon Core operator, then the graph.
kind-up:
	CLUSTER_NAME=$(CLUSTER_NAME) INGRESS=$(INGRESS) MONITORING=$(MONITORING) scripts/kind-up.sh

kind-down:
	CLUSTER_NAME=$(CLUSTER_NAME) scripts/kind-down.sh

deploy: $(STAMP)
	$(SG) deploy $(GRAPH) --context $(CONTEXT) --wait $(WAIT) $(if $(REGISTRY),--registry $(REGISTRY))

status: $(STAMP)
	$(SG) status $(GRAPH) --context $(CONTEXT)

diff: $(STAMP)
	$(SG) diff $(GRAPH) --context $(CONTEXT)

delete: $(STAMP)
	$(SG) delete $(GRAPH) --context $(CONTEXT)

test-cluster: $(STAMP)
	$(BIN)/pytest -m cluster tests/deploy

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

# The README's screenshot of the page `run` serves (docs/page.png): graphs/income.yaml
# in-process, one request from the form, in headless chromium (apt: chromium chromium-driver).
.PHONY: screenshot
screenshot: $(STAMP) models/income/lr/model.joblib
	$(BIN)/python scripts/screenshot_page.py graphs/income.yaml docs/page.png

.PHONY: controlplane controlplane-up controlplane-down test-controlplane

# A real Kubernetes control plane on 127.0.0.1, built from Go modules (docs/deploy.md,
# "Against a real control plane"): kube-apiserver, controller-manager, scheduler, kwok, etcd.
controlplane:
	scripts/controlplane-build.sh

controlplane-up: controlplane
	scripts/controlplane-up.sh

controlplane-down:
	scripts/controlplane-down.sh

test-controlplane: $(STAMP)
	$(BIN)/pytest -q -m controlplane tests/controlplane

# Mutation testing of the error-path modules (docs/testing.md): slow, not part of CI.
# MODULES picks some, e.g. `make mutation MODULES="safety deploy/wait"`.
.PHONY: mutation
mutation: $(STAMP)
	scripts/mutation.sh $(MODULES)
