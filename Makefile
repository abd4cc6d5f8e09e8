# Two commands do all set-up: `make lab` and `make test` (both create .venv when missing).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Test workers (pytest-xdist). Each notebook and each test module stays on one worker
# (--dist loadgroup); the browser tier shares one JupyterLab on one worker (its xdist_group).
JOBS ?= 2
# JupyterLab refuses to start as root without --allow-root (containers, CI boxes).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: venv lab test lint format docs bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,onnx]'
	touch $(STAMP)

lab: venv
	$(BIN)/jupyter lab $(LAB_ARGS) notebooks/01_browse_and_pick.ipynb

RUFF_PATHS := explorer tests benchmarks docs

lint: venv
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/ruff format --check $(RUFF_PATHS)

format: venv
	$(BIN)/ruff format $(RUFF_PATHS)
	$(BIN)/ruff check --fix $(RUFF_PATHS)

# The documentation site (mkdocs.yml), built strictly: a broken link or reference fails the build.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

test: lint docs
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg \
		-n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
