# Two entry points a new user needs (see README "Quick start"):
#   make run    set up .venv and run the bundled lyth.yaml's main DAG once
#   make test   set up .venv and run lint, format check, type check and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest pytest-dask bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,dask,postgres,ui]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/lyth run --config lyth.yaml word_count

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected nothing; that is not a failure of the code.
pytest: $(STAMP)
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

# The runner's suite again with an in-process Dask cluster as the default executor.
RUNNER_SUITE := $(addprefix tests/compose/run/,test_dag_runner.py test_replay.py \
	test_run_events.py test_segments.py test_durability.py test_isolation.py test_dask_executor.py)
pytest-dask: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider --executor=dask $(RUNNER_SUITE)

test: lint typecheck pytest pytest-dask

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data
