# The two commands a newcomer needs: `make run` and `make test`. Each installs what it needs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install stop clean-data bench demo-code

$(INSTALLED): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(INSTALLED)

## Start minereg with demo data on http://$(HOST):$(PORT)/admin/
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --if-empty
	@# Detection as the daily beat run would do it (idempotent), so the flag queue is filled from the first start.
	DEBUG=$${DEBUG:-1} $(PY) manage.py detect
	@echo ""
	@echo "  admin:    http://$(HOST):$(PORT)/admin/    (regulator / inspector / auditor)"
	@echo "  portal:   http://$(HOST):$(PORT)/portal/   (firm)"
	@echo "  password: demo (demo data only); staff's two-step code: make demo-code"
	@if [ -n "$$REDIS_URL" ]; then echo "  celery:   worker and beat on $$REDIS_URL"; else echo "  celery:   tasks run in-process (set REDIS_URL for a worker and beat)"; fi
	@echo ""
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	if [ -n "$$REDIS_URL" ]; then \
		DEBUG=$${DEBUG:-1} $(PY) -m celery -A config worker --beat --loglevel=INFO --concurrency=2 \
			--schedule=.data/celerybeat-schedule & \
	fi; \
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

## Print the demo staff's current two-step login code (demo data only)
demo-code: install
	@DEBUG=$${DEBUG:-1} $(PY) manage.py demo_totp

.PHONY: messages
# Neither command opens the database: a placeholder DATABASE_URL keeps settings from starting the embedded PostgreSQL.
## Refresh the ru/kk catalogues (locale/) from the source and compile them with the Kazakh supplement (config/locale_upstream/); then translate what is new or fuzzy
messages: install
	DATABASE_URL=$${DATABASE_URL:-postgres://unused/unused} $(PY) manage.py makemessages -l ru -l kk
	DATABASE_URL=$${DATABASE_URL:-postgres://unused/unused} $(PY) manage.py compilemessages -l ru -l kk --ignore='.*'

## Lint and format check (ruff, configured in pyproject.toml); `make format` rewrites the files
.PHONY: lint format
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## Run the whole test suite
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Stop the embedded PostgreSQL (only used when DATABASE_URL is unset)
stop:
	$(PY) -c "from pathlib import Path; from config.embedded_postgres import stop; stop(Path('.data'))"

## Delete the embedded database (demo data comes back with the next `make run`)
clean-data: stop
	rm -rf .data

## Benchmarks (figures and ratios in tables): ingestion and detection at 1M and 10M readings; admin pages at scale
bench: install
	$(PY) bench/ingest_detect.py $(BENCH_ARGS)
	$(PY) bench/admin_pages.py
	$(PY) bench/exports.py
	$(PY) bench/corrections.py
	$(PY) bench/load.py

## Detection on a realistic grid with hidden farms (bench/fieldgrid), before and after issue 12: sites caught and innocent sites flagged per kind, the issue's bars
.PHONY: bench-field
bench-field: install
	$(PY) bench/field_detect.py $(BENCH_ARGS)

## The numbers at national scale (not in CI; ~9 GB of disk, about 15 minutes): a year of hourly readings at 10,000 connections against one month — detection, the next day's import, bytes per reading, a month's archive and its way back, the flag chart and pages
.PHONY: bench-scale
bench-scale: install
	$(PY) bench/scale.py $(BENCH_ARGS)
