# Two commands do all the set-up (README): `make run` and `make test`.
# Both create the virtual environment .venv if it is missing and install the pinned versions (requirements.lock).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.svcov-installed
PIP_FLAGS ?= --disable-pip-version-check --no-input

.PHONY: run test install bench lock clean-outputs

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -q -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## run the main job on the bundled Songjiang data, writing outputs/songjiang/
run: $(STAMP)
	$(BIN)/svcov run

## run the test suite (no internet needed)
test: $(STAMP)
	$(BIN)/python -m pytest -q

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
