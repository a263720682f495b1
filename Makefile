# The README's commands. Each target installs what it needs first (pipenv, the locked packages,
# and for tests PostgreSQL and docker-compose from Debian's packages when they are missing).
SHELL := /bin/bash
PYTHON ?= python3
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
# The Pipfile's source reads ${PIP_INDEX_URL}; fill it from pip's own configuration when unset.
PIP_INDEX_URL ?= $(shell $(PYTHON) -m pip config get global.index-url 2>/dev/null || $(PYTHON) -c "from pip._internal.models.index import PyPI; print(PyPI.simple_url)")
export PIP_INDEX_URL
RUN := $(PYTHON) -m pipenv run
HOST ?= 127.0.0.1
PORT ?= 8000
APT_UPDATED := .venv/.apt-updated

.PHONY: install run demo migrate test test-deps bench-deps lint format typecheck check bench bench-quick clean

.venv/.synced: Pipfile.lock
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet pipenv
	$(PYTHON) -m pipenv sync --dev
	@touch $@

install: .venv/.synced

migrate: install
	$(RUN) python -m db migrate

demo: migrate
	$(RUN) python -m db demo

run: demo
	$(RUN) python -m web.serve --host $(HOST) --port $(PORT)

$(APT_UPDATED):
	@mkdir -p .venv && apt-get update -qq && touch $@

test-deps: install
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
	@command -v docker-compose >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

test: test-deps
	$(RUN) ruff check .
	$(RUN) mypy
	$(RUN) pytest $(PYTEST_ARGS)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: install
	$(RUN) mypy

check: lint typecheck test

bench-deps: test-deps
	@command -v wrk >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: bench-deps
	$(RUN) python -m bench

bench-quick: bench-deps
	$(RUN) python -m bench --quick

clean:
	rm -rf .venv howsmytrack.sqlite3* mail-outbox bench/out
