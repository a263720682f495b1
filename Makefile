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
SMTP_SINK := .venv/postfix/usr/sbin/smtp-sink

.PHONY: lighthouse install client client-deps api-types run demo demo-group migrate test test-static test-suite test-fast test-deps bench-deps lint format typecheck check bench bench-quick bench-production bench-live bench-soak bench-durable bench-rating bench-replicas bench-capacity bench-jobs jobs clean

.venv/.synced: Pipfile.lock
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet pipenv
	$(PYTHON) -m pipenv sync --dev
	@touch $@

install: .venv/.synced

# The client's tools (and, later, the client): Debian's Node.js and npm when missing, then `npm ci`.
client/node_modules/.package-lock.json: client/package-lock.json
	@command -v npm >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd client && npm ci --no-audit --no-fund
	@touch $@

client-deps: client/node_modules/.package-lock.json

CLIENT_SOURCES := $(shell find client/src -type f 2>/dev/null) client/index.html client/vite.config.ts client/tsconfig.json
client/dist/index.html: client/node_modules/.package-lock.json $(CLIENT_SOURCES)
	cd client && npx vite build --logLevel warn

# The web client, built into client/dist (served by the app at /).
client: client/dist/index.html

# Regenerate the client's API types from the app's current OpenAPI document.
api-types: install client-deps
	@mkdir -p .tmp
	$(RUN) python -c "import json; from web.app import all_routes; from web.openapi import build_openapi; print(json.dumps(build_openapi(all_routes()), indent=1))" > .tmp/openapi.json
	cd client && npx openapi-typescript ../.tmp/openapi.json --default-non-nullable=false -o src/api/schema.d.ts

migrate: install
	$(RUN) python -m db migrate

# Links in emails and the printed URLs follow HOST and PORT unless WEB_URL is set.
SERVE_ENV = WEB_URL=$${WEB_URL:-http://$(HOST):$(PORT)}

demo: migrate
	$(SERVE_ENV) $(RUN) python -m db demo

# A fresh group of four around the demo user, for UI work (run again for another).
demo-group: migrate
	$(SERVE_ENV) $(RUN) python -m db demo --group

# The demo logins print last, after the client's build output, just before the server starts.
run: migrate client
	@$(SERVE_ENV) $(RUN) python -m db demo
	$(SERVE_ENV) $(RUN) python -m web.serve --host $(HOST) --port $(PORT)

$(APT_UPDATED):
	@mkdir -p .venv && apt-get update -qq && touch $@

test-deps: install client
	@command -v chromium >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; }
	@command -v caddy >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null; }
	@command -v docker-compose >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	@{ command -v dockerd >/dev/null && command -v debootstrap >/dev/null; } || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null; }

# The whole suite: the static checks (ruff, mypy, Vitest) alongside the Python tests, which run on
# PYTEST_WORKERS xdist workers (each with its own PostgreSQL and SQLite; the container stack and the
# browser tests each on one worker, started first), under coverage; then the coverage total, which
# may not fall below the floor in pyproject.toml, and the report in .tmp/coverage/.
PYTEST_WORKERS ?= 3
test: test-deps
	@rm -rf .tmp/coverage && mkdir -p .tmp/coverage
	$(MAKE) --no-print-directory -j2 --output-sync=target test-static test-suite
	@$(RUN) coverage combine -q
	@$(RUN) coverage html -q
	$(RUN) coverage report --format=total --precision=1 | sed 's/^/coverage (branch) total: /; s/$$/ % (report: .tmp\/coverage\/html\/index.html)/'
	@$(RUN) coverage report > /dev/null

test-static: install client-deps
	$(RUN) ruff check .
	$(RUN) mypy
	cd client && npx vitest run

test-suite: test-deps
	$(if $(PYTEST_ARGS),,API_COVERAGE_STRICT=1) $(RUN) coverage run -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

# The inner loop while working: the Python tests on SQLite only, without the container, browser and
# node tiers, and without coverage.
test-fast: install
	$(RUN) pytest -n $(PYTEST_WORKERS) --sqlite-only --ignore=tests/browser --ignore=tests/test_containers.py $(PYTEST_ARGS)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: install
	$(RUN) mypy

check: lint typecheck test

bench-deps: test-deps $(SMTP_SINK)
	@command -v wrk >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Postfix's smtp-sink, the SMTP server made for load-testing mail clients: taken out of Debian's
# postfix package without installing it (no mail service is set up). The benchmarks fall back to
# an aiosmtpd sink, which is itself the bottleneck past about 1,500 messages a second.
$(SMTP_SINK):
	@$(MAKE) --no-print-directory $(APT_UPDATED)
	@mkdir -p .venv/postfix && cd .venv/postfix && apt-get download -qq postfix 2>/dev/null && \
		dpkg -x postfix_*.deb . && rm postfix_*.deb

bench: bench-deps
	$(RUN) python -m bench

# Lighthouse scores of the web client's sign-in and group pages (Debian's Chromium).
lighthouse: test-deps
	$(RUN) python -m bench.lighthouse

bench-live: bench-deps
	$(RUN) python -m bench.live

# Ten minutes at a fixed rate over reads and writes, two workers: RSS drift and per-minute latency.
bench-soak: bench-deps
	$(RUN) python -m bench.soak

# `make bench` on a PostgreSQL with its crash-safe settings (fsync, synchronous commit, full pages).
bench-durable: bench-deps
	$(RUN) python -m bench --durable

# The production path (Caddy over HTTPS, 3 replicas, PgBouncer) against the direct one, in one run.
bench-production: bench-deps
	$(RUN) python -m bench.production_path

# The rating job at 100,000 users against the statement it replaced, then the rating simulation.
bench-rating: bench-deps
	$(RUN) python -m bench.rating_job
	$(RUN) python -m bench.rating_sim

# Read replicas and failover: routing overhead, commit latency with and without synchronous
# replication, writes lost on an immediate stop, the failover drill through the service.
bench-replicas: bench-deps
	$(RUN) python -m bench.replication

# The capacity model: CPU per request by route (primary plus one replica), the mix checked on this
# machine, and the cores 10k / 100k / 1M musicians need (jobs' figures from bench/out/report*.json).
bench-capacity: bench-deps
	$(RUN) python -m bench.capacity $(foreach report,$(wildcard bench/out/report*.json),--jobs-report $(report))

# The nightly jobs alone at one size: make bench-jobs USERS=1000000 [SKIP="recommend_tracks"]
USERS ?= 100000
bench-jobs: bench-deps
	$(RUN) python -m bench --skip-api --users $(USERS) $(foreach job,$(SKIP),--skip-job $(job)) --report report-jobs-$(USERS).json

bench-quick: bench-deps
	$(RUN) python -m bench --quick

# Run a job as an operator would on this machine: make jobs ARGS="assign_groups" (or ARGS=--list).
jobs: install
	$(SERVE_ENV) $(RUN) python -m jobs $(ARGS)

clean:
	rm -rf .venv howsmytrack.sqlite3* mail-outbox bench/out .tmp client/node_modules client/dist
