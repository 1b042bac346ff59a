# hilgen-graph: every target does its own set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HILGEN := $(VENV)/bin/hilgen
STAMP := $(VENV)/.installed
# llama-cpp-python is built from source: keep the build portable to other CPUs.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test test-fast bench lint models clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel
	# torch first, pinned: a local CPU build is taken where offered, else PyPI's build.
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev,llm]'
	touch $(STAMP)

install: $(STAMP)

models: install
	$(HILGEN) llm install

demo: models
	$(HILGEN) demo

test: models
	# the browser tests drive Debian's chromium (CI runs as root)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) \
		|| echo "chromium could not be installed: the browser tests will say so and skip"
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not neo4j and not llm and not slow"

bench: install
	$(PY) -m bench.run_all

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build *.egg-info
