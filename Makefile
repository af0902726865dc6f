# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint check bench clean

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

## Set up (first time) and run the whole test suite
test: $(VENV)/.test-installed
	$(BIN)/pytest

## Lint, format check and type check
lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
