# AuroraMart — the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
# The first Python 3.11+ on the PATH.
SYSTEM_PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
STAMP := $(VENV)/.installed
# The suite runs in one process per core (pytest-xdist); TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
# The demo runs with DEBUG off, as a shop would (its own 404 and 500 pages), static files from the
# sources, readable logs, and the periodic jobs in the server's process (analytics every 2 minutes).
DEMO_ENV := DEBUG=$${DEBUG:-false} AURORAMART_DEMO=$${AURORAMART_DEMO:-true} STATIC_MANIFEST=$${STATIC_MANIFEST:-false} \
	LOG_FORMAT=$${LOG_FORMAT:-text} DEMO_SCHEDULER=$${DEMO_SCHEDULER:-true} BEAT_INTERVALS=$${BEAT_INTERVALS:-rollup-analytics=120}

.PHONY: help install run prod migrate demo-data test lint format bench bench-search bench-analytics fuzz-api lint-api css lock clean cluster cluster-smoke capacity screenshots lighthouse

help:
	@echo "make run    set up everything and serve the shop on http://127.0.0.1:$(PORT)"
	@echo "make test   lint, then the whole test suite"
	@echo "make prod   the production stack (gunicorn, Celery worker and beat) from environment settings"
	@echo "make bench  load benchmarks (see README)"
	@echo "make css    rebuild the CSS and vendored scripts (needs Node.js)"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -n "$(SYSTEM_PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	@echo "Installing the dependencies into $(VENV): a few minutes the first time, then never again."
	@test -x $(PYTHON) || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@$(DEMO_ENV) $(PYTHON) manage.py migrate --no-input -v0

demo-data: migrate
	@$(DEMO_ENV) $(PYTHON) manage.py setup_admin > /dev/null
	@$(DEMO_ENV) $(PYTHON) manage.py create_sample_data --if-empty
	@$(DEMO_ENV) $(PYTHON) manage.py train_models --if-missing

# One process prepares (migrate, staff, sample data, models), prints the banner and serves.
run: install
	@$(DEMO_ENV) $(PYTHON) manage.py serve_demo --port $(PORT)

# The production stack on one machine: gunicorn, a Celery worker and beat under
# honcho (Procfile). Settings come from the environment only (README: Production).
PROD_REQUIRED := SECRET_KEY DATABASE_URL REDIS_URL ALLOWED_HOSTS
prod: install
	@for v in $(PROD_REQUIRED); do test -n "$${!v}" || { echo "make prod needs $$v in the environment (README: Production)"; exit 1; }; done
	$(PYTHON) manage.py migrate --no-input
	$(PYTHON) manage.py collectstatic --no-input -v0
	$(PYTHON) manage.py check --deploy --fail-level WARNING
	$(PYTHON) manage.py train_models --if-missing -v0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(PYTHON) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(PYTHON) bench/run.py $(BENCH_ARGS)
	$(PYTHON) bench/recommendations.py

bench-search: install
	$(PYTHON) bench/search_scale.py $(BENCH_ARGS)

# Several nodes on this machine, without containers (deploy/cluster.py; needs PostgreSQL's
# server programs, nginx, redis-server and, optionally, pgbouncer; README: Scaling out).
cluster: install
	$(PYTHON) deploy/cluster.py --serve

cluster-smoke: install
	$(PYTHON) deploy/cluster.py --smoke

capacity: install
	$(PYTHON) deploy/cluster.py --measure

# The README's pictures (docs/screenshots/), from a fresh demo shop in the system Chromium.
screenshots: install
	$(PYTHON) docs/screenshots/take_screenshots.py

# Lighthouse (frontend/'s pinned npm package) on the system Chromium, phone profile: every
# category of home, listing, product, cart and checkout at least 95 (bench/lighthouse.py).
lighthouse: install
	$(PYTHON) bench/lighthouse.py

fuzz-api: install
	.ci/api-fuzz

# The API schema against Redocly's recommended ruleset (needs npm; .ci/run does it too).
lint-api: install
	.ci/api-lint

bench-analytics: install
	$(PYTHON) bench/analytics.py $(BENCH_ARGS)

css:
	cd frontend && npm ci && npm run build

lock: install
	@(echo "# Every transitive dependency pinned (pip freeze of requirements-dev.txt). Regenerate with: make lock"; \
	  $(PYTHON) -m pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* media
