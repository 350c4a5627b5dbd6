# `make test` and `make demo` work on a fresh machine with only Python 3.11:
# both create .venv when it is missing and install schedopt with its dev extras.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench slow clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" --nbmake tests notebooks

slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests

demo: $(STAMP)
	$(BIN)/python -m schedopt demo

# Every benchmark (about 6 minutes on 2 idle cores); tables land in benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python benchmarks/bounds.py
	$(BIN)/python benchmarks/solvers.py
	$(BIN)/python benchmarks/theory.py
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/refine.py
	$(BIN)/python benchmarks/worst_case.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
