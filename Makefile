# Every target installs first (fast when nothing changed), so a fresh clone needs only `make demo` or `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# The venv first on PATH: dbt, dagster and tokenworth as the tests and Dagster call them.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DAGSTER_HOME ?= $(CURDIR)/.tokenworth/dagster

.PHONY: install demo test lint fix parse dev bench clean

# Byte-compiled at install: where PYTHONDONTWRITEBYTECODE is set (CI images often do), every dbt,
# Dagster and test process would otherwise compile dbt, Dagster and dlt from source again.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/tokenworth demo

# Two workers (the suite is mostly extraction and dbt processes); a test file stays on one worker,
# so its module fixtures are built once.
test: install lint
	$(BIN)/pytest -n 2 --dist loadfile

# sqlfluff's dbt templater compiles the project: give it a scratch warehouse and target path so it
# never touches the real warehouse or the target/ that Dagster reads.
LINT_DIR := $(CURDIR)/.tokenworth/lint
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p $(LINT_DIR)
	TOKENWORTH_DBT_TARGET=duckdb TOKENWORTH_DUCKDB_PATH=$(LINT_DIR)/lint.duckdb \
	DBT_TARGET_PATH=$(LINT_DIR)/target DBT_LOG_PATH=$(LINT_DIR)/logs \
	$(BIN)/sqlfluff lint --quiet dbt_project

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

parse: install
	$(BIN)/dbt parse --project-dir . --profiles-dir dbt_project

# The Dagster UI (dg dev): the instance settings come from orchestration/dagster.yaml.
dev: install
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev

bench: install
	$(BIN)/tokenworth bench

clean:
	rm -rf target dbt_packages logs .pytest_cache .ruff_cache
