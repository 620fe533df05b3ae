# Two commands do all the set-up (README): `make run` and `make test`.
# Both create the virtual environment .venv if it is missing and install the pinned versions (requirements.lock).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.svcov-installed
PIP_FLAGS ?= --disable-pip-version-check --no-input
# the suite on every core (at most 4), each test module in one worker (its fixtures made once); PYTEST_WORKERS=
# runs it in one process
PYTEST_WORKERS ?= -n auto --maxprocesses=4 --dist loadscope

.PHONY: run test lint coverage install bench lock clean-outputs

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -q -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## run the main job on the bundled Songjiang data, writing outputs/songjiang/
run: $(STAMP)
	$(BIN)/svcov run

## lint (ruff), then the test suite with line and branch coverage of svcov (no internet needed)
test: $(STAMP) lint
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS) --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check .

## the same, and an HTML coverage report in htmlcov/ (git-ignored)
coverage: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS) --cov --cov-report=term --cov-report=html
	@echo "coverage report: htmlcov/index.html"

## performance benchmarks (installs the optional baselines: spopt, pulp, pandana, igraph)
bench: $(STAMP)
	$(BIN)/python -m pip install $(PIP_FLAGS) -q -c requirements.lock -e '.[test,bench]'
	$(BIN)/python benchmarks/bench_service_areas.py
	$(BIN)/python benchmarks/bench_siting.py

## re-pin requirements.lock from the current environment (maintainers)
lock:
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v -E '^(pip|setuptools|wheel)==' > requirements.lock

clean-outputs:
	rm -rf outputs/*/ outputs/.*.partial
