# The two commands of README: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
SITE_PORT ?= 8000
SANDBOX_PORT ?= 8001
export SITE_PORT SANDBOX_PORT
INSTALLED := $(VENV)/.installed

.PHONY: install system run test lint docs messages bench

$(INSTALLED): requirements.txt requirements-prod.txt requirements-dev.txt pyproject.toml sandbox/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(INSTALLED)

# Debian packages the tests need (Chromium); installs only what is missing.
system:
	./scripts/system-packages

# The demo: the sandbox on SANDBOX_PORT, the site on SITE_PORT (demo data seeded on a new database).
run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py rundemo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy salwidgets salsite sandbox/menta_sandbox
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=menta_sandbox.settings $(BIN)/python -m django makemigrations --check --dry-run

# The documentation as a site (docs/, Sphinx with MyST pages) in build/docs/; a warning fails it.
docs: install
	$(BIN)/sphinx-build --fresh-env --fail-on-warning --keep-going --quiet --builder html docs build/docs

# The whole suite twice: on SQLite (the demo's database), then on PostgreSQL (production's), on a
# throwaway server that scripts/with-postgres starts and removes. Tests whose processes bring
# databases of their own (own_database) run on the first pass only: the second would repeat them.
test: install system lint docs
	$(BIN)/pytest -n 2
	./scripts/with-postgres $(BIN)/pytest -n 2 -m "not own_database"

# The three pages under wrk: SAL off, warm, menta down, hanging and flapping (on aged answers and after
# a restart on a stale shared cache), a listing change, a hand-written
# integration, cold; the listing at 50/200/500 shows and 1,000 tickets; then the
# outbox from enqueue to acknowledged, and the worker's memory with 100,000 pending items; then the
# ticket report's CSV and XLSX exports: time and peak memory for 10,000 and 100,000 tickets, on
# SQLite and on PostgreSQL.
# bench.run exits non-zero when a target is missed; the other parts run all the same.
bench: install system
	$(BIN)/python -m bench.run; missed=$$?; \
	$(BIN)/python -m bench.sync || missed=1; \
	$(BIN)/python -m bench.report || missed=1; \
	./scripts/with-postgres $(BIN)/python -m bench.report || missed=1; \
	exit $$missed

# After changing translatable strings: update the Spanish catalogues, translate, then compile.
messages: install
	cd salwidgets && DJANGO_DEBUG=1 DJANGO_SETTINGS_MODULE=salsite.settings PYTHONPATH=.. ../$(BIN)/django-admin makemessages -l es
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l es --ignore=salwidgets --ignore=.venv --ignore=tests --ignore=var --ignore=bench --ignore=build --ignore=scripts --ignore=sandbox
	cd sandbox/menta_sandbox && DJANGO_SETTINGS_MODULE=menta_sandbox.settings PYTHONPATH=.. ../../$(BIN)/django-admin makemessages -l es
	cd salwidgets && ../$(BIN)/django-admin compilemessages
	cd sandbox/menta_sandbox && ../../$(BIN)/django-admin compilemessages
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=salwidgets --ignore=sandbox
