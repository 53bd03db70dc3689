# The README's commands. `make run` and `make test` set everything up on a machine that has only
# Python 3.11, git and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9

DATA_DIR := $(abspath $(or $(SWH_DATA_DIR),$(CURDIR)/data))
export SWH_DATA_DIR := $(DATA_DIR)
export DAGSTER_HOME := $(abspath $(or $(DAGSTER_HOME),$(DATA_DIR)/dagster))

.PHONY: setup run test ui bench template clean

## setup: virtualenv, locked dependencies, the project itself, the dbt manifest
setup: $(STAMP)
	@$(VENV)/bin/swh prepare

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(PY) -m uv pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	@$(PY) -m uv pip install -q --python $(PY) --no-deps -e .
	@touch $(STAMP)

## run: demo data if data/raw/ is empty, then materialize everything and publish to data/marts/
run: setup
	@$(VENV)/bin/swh demo-data --if-empty
	@$(VENV)/bin/swh run

## test: the whole test suite
test: setup
	@$(VENV)/bin/pytest

## ui: the Dagster UI on http://127.0.0.1:3000 (same instance as `swh run`)
ui: setup
	@mkdir -p $(DAGSTER_HOME)
	@$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## bench: the benchmark (not a test; targets and figures in benchmarks/README.md)
bench: setup
	@$(PY) -m benchmarks.run

## template: a blank Erhebungsbogen for the districts
template: setup
	@$(VENV)/bin/swh template -o erhebungsbogen_vorlage.xlsx

clean:
	rm -rf $(VENV) dbt_project/target
