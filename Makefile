# Two commands do all set-up: `make lab` and `make test` (both create .venv when missing).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# JupyterLab refuses to start as root without --allow-root (containers, CI boxes).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: venv lab test lint format bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lab: venv
	$(BIN)/jupyter lab $(LAB_ARGS) notebooks/01_browse_and_pick.ipynb

lint: venv
	$(BIN)/ruff check explorer tests benchmarks
	$(BIN)/ruff format --check explorer tests benchmarks

format: venv
	$(BIN)/ruff format explorer tests benchmarks
	$(BIN)/ruff check --fix explorer tests benchmarks

test: lint
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
