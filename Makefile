# Quick start: `make demo` runs the nightly job on sample_data/; `make test` runs every test.
# Both build .venv from pyproject.toml on first use, so a fresh clone needs only python3 and make;
# demo installs only what running needs, test adds the test and lint tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs: STAMP, auditpipe with the test and lint tools ([dev], for make test);
# RUN_STAMP, auditpipe and only what running it needs (for make demo).
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
DEMO_DIR ?= demo

.PHONY: help venv demo test test-unit test-spark lint format bench clean sample-data sample-db-logs \
	translations

help:
	@echo "make demo    run the nightly job on sample_data/ into $(DEMO_DIR)/ and show the report"
	@echo "make test    lint, then run the whole test suite (Spark tests when Java 17 and pyspark are here)"
	@echo "make test-unit   the library tests only (tests/unit, a few minutes)"
	@echo "make test-spark   install the spark extra (and Java 17 if root) and run the Spark tests"
	@echo "make lint    ruff (lint + format check) and mypy"
	@echo "make bench   run the benchmarks in benchmarks/ (slow, prints ratios)"
	@echo "make sample-data   regenerate sample_data/ with the generator"
	@echo "make sample-db-logs   rewrite sample_data/_sources/ logs with real database servers"
	@echo "make translations   extract marked strings into the .po catalogs and compile the .mo"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The runtime install: what `make demo` needs and nothing more (no pytest, ruff, mypy).
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

# The development install includes the runtime one, so it marks both as done.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

venv: $(STAMP)

# The nightly job as a user first meets it: sample_data/ is copied to a demo inbox (the repo is
# never touched), ingested, detected and reported. The sample holds quarantined rows (exit 3)
# and planted breaches (--fail-on none), so the demo succeeds on both. The database audit logs
# in sample_data/_sources/ (written by a real PostgreSQL + pgaudit and a real MariaDB +
# server_audit) are ingested and detected first, each with the source settings beside it.
demo: $(RUN_STAMP)
	rm -rf $(DEMO_DIR)
	mkdir -p $(DEMO_DIR)/inbox
	cp -R sample_data/. $(DEMO_DIR)/inbox/
	$(BIN)/auditpipe ingest --lake $(DEMO_DIR)/lake --quiet \
	    --source sample_data/_sources/pgaudit/source.toml sample_data/_sources/pgaudit/postgresql.log
	$(BIN)/auditpipe ingest --lake $(DEMO_DIR)/lake --quiet \
	    --source sample_data/_sources/server_audit/source.toml sample_data/_sources/server_audit/server_audit.log
	$(BIN)/auditpipe detect --lake $(DEMO_DIR)/lake --fail-on none > /dev/null
	$(BIN)/auditpipe nightly --inbox $(DEMO_DIR)/inbox --lake $(DEMO_DIR)/lake \
	    --reports $(DEMO_DIR)/reports --settle-seconds 0 --fail-on none || test $$? -eq 3
	$(BIN)/auditpipe report --lake $(DEMO_DIR)/lake --format terminal
	@echo
	@echo "HTML report: $$(ls $(abspath $(DEMO_DIR))/reports/*/auditpipe-report-*.html)"

# -n auto: one worker per usable CPU (at most 4), each taking whole test files (tests/conftest.py
# says why); the Spark tests all go to one worker, so the run still starts one Spark session.
#
# auditpipe's bytecode is compiled first, as pip does for an installed tool: the tests start
# the CLI as a subprocess about a hundred times, and where PYTHONDONTWRITEBYTECODE is set (as on
# many CI images) each of those would compile the package from source again (0.3-0.6 s each).
test: $(STAMP) lint
	$(BIN)/python -m compileall -q auditpipe > /dev/null
	$(BIN)/python -m pytest -q -n auto

# The fast part, to run on every change: library tests in tests/unit (no lint).
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -n auto tests/unit

# The Spark engine's tests need Java 17 and the spark extra; `make test` skips them (with one
# message) when either is missing. This target installs both (the JRE only when run as root on
# a Debian-like system; otherwise install Java 17 yourself) and runs them, refusing to skip.
test-spark: $(STAMP)
	@command -v java >/dev/null 2>&1 || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null \
	    && apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; } \
	    || { echo "Error: Java 17 is missing; install a Java 17 runtime and run make test-spark again"; exit 2; }
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	AUDITPIPE_REQUIRE_SPARK=1 $(BIN)/python -m pytest -q -m spark

lint: $(STAMP)
	$(BIN)/ruff check auditpipe tests benchmarks
	$(BIN)/ruff format --check auditpipe tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format auditpipe tests benchmarks
	$(BIN)/ruff check --fix auditpipe tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# sample_data/_sources/ (real-server database audit logs) is kept; `make sample-db-logs`
# rewrites those logs by running both servers (needs postgresql-15-pgaudit and mariadb-server).
sample-data: $(STAMP)
	rm -rf .sample_sources && mv sample_data/_sources .sample_sources
	rm -rf sample_data/*
	$(BIN)/auditpipe generate --rows 3000 --seed 7 --bad-share 0.01 --out sample_data; \
	    status=$$?; mv .sample_sources sample_data/_sources; exit $$status

sample-db-logs: $(STAMP)
	$(BIN)/python -m tests.support.db_servers sample_data/_sources

# Translations (auditpipe/i18n/__init__.py says how to add a string): extract every marked
# string with Babel (babel.cfg; the same as `pybabel extract -F babel.cfg -k N_ auditpipe`),
# merge them into auditpipe/locale/*/LC_MESSAGES/auditpipe.po, compile the .mo beside each,
# and list the strings still untranslated (then it fails: fill their msgstr and run it again).
translations: $(STAMP)
	$(BIN)/python -m auditpipe.i18n.catalog

clean:
	rm -rf $(VENV) $(DEMO_DIR) tour build *.egg-info
