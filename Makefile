# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint check bench clean axe
# axe-core from the npm registry, injected into the studio page by its accessibility test
# (tests/studio); without npm that one test is skipped, saying why.
AXE_VERSION := 4.11.0
AXE := .cache/npm/node_modules/axe-core/axe.min.js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# The SoundFont path's tests: tinysoundfont declares PyAudio (for playback, which we never
	# use) and PyAudio needs PortAudio headers to build, so install it without dependencies.
	$(BIN)/pip install --quiet --no-deps 'tinysoundfont>=0.3'
	touch $@ $(VENV)/.runtime-installed

## Set up (first time) and start the server on embedded defaults: http://127.0.0.1:8000
run: $(VENV)/.runtime-installed
	$(BIN)/ai-music serve

$(AXE):
	@if command -v npm >/dev/null; then \
		npm install --silent --no-save --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION); \
	else echo "npm not found: the studio's accessibility test will be skipped"; fi

axe: $(AXE)

## Set up (first time) and run the whole test suite
test: $(VENV)/.test-installed axe
	$(BIN)/pytest

## Lint, format check, type check and the structure rules (docs/architecture.md)
lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy src tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/check_structure.py

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
