# `make test` and `make demo` work on a fresh machine with only Python 3.11:
# both create .venv when it is missing and install schedopt with its dev extras, which
# include PyTorch from PyPI (its default wheel: about 1.5-3 min and 5.5 GB of disk the
# first time, with its CUDA libraries; nothing else needs a GPU).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-torch demo bench slow clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The fast suite and both notebooks, then the tests of schedopt.torch against real PyTorch
# (a separate run, so that the count of torch tests shows in the output).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not torch" --nbmake tests notebooks
	$(MAKE) --no-print-directory test-torch

# schedopt.torch against real PyTorch; fails (instead of skipping) when torch is missing.
test-torch: $(STAMP)
	@$(BIN)/python -c "import torch; print('torch', torch.__version__)"
	$(BIN)/python -m pytest -q -m "torch and not slow" tests

slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests

demo: $(STAMP)
	$(BIN)/python benchmarks/demo.py --out report

# Every benchmark (about 6 minutes on 2 idle cores); tables land in benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python benchmarks/bounds.py
	$(BIN)/python benchmarks/solvers.py
	$(BIN)/python benchmarks/theory.py
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/refine.py
	$(BIN)/python benchmarks/worst_case.py
	$(BIN)/python benchmarks/exact.py
	$(BIN)/python benchmarks/first_calls.py
	$(BIN)/python benchmarks/applied.py
	$(BIN)/python benchmarks/horizons.py
	$(BIN)/python benchmarks/llm_runs.py
	$(BIN)/python benchmarks/closed_loop.py --optimizer adamw --seeds 3 --out /tmp/closed_loop_adamw

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
