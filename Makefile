# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# Tests and the production shape talk to the real Postgres and Redis of this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/surveyplatform
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-slow serve lint format install services browser pdf clean messages gettext java vendor

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench,demo]'
	touch $@

install: $(INSTALLED) messages

## The Welsh catalogue: compile locale/*/django.po (the committed .mo serves without gettext).
messages: $(INSTALLED)
	@if command -v msgfmt >/dev/null; then \
		$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0; fi

## make run [PORT=8000] [HOST=127.0.0.1]: install, start the embedded Postgres under var/,
## migrate, load the demo and serve it; Ctrl-C stops the server and the database.
HOST ?= 127.0.0.1
PORT ?= 8000
run: $(INSTALLED) messages
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python bin/run

## make test: install and run the whole fast suite against the real Postgres and Redis.
test: $(INSTALLED) gettext messages services browser pdf java
	mkdir -p var/static
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -m "not slow" -p no:cacheprovider
	$(BIN)/ruff check .

## make test-slow: the long fault, load and simulation tests.
test-slow: $(INSTALLED) services browser pdf
	mkdir -p var/static
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -m slow -p no:cacheprovider

## GNU gettext, which compiles the Welsh catalogue and checks it covers every string in the code.
gettext:
	@bin/ensure-gettext

## Debian's Java for the Nu HTML checker of the respondent pages (installed with apt when missing).
java:
	@bin/ensure-java

## Debian's Chromium for the browser tests (installed with apt when missing).
browser:
	@bin/ensure-chromium

## Pango and a font for the PDF report (WeasyPrint), installed with apt when missing.
pdf:
	@bin/ensure-pango

## make vendor: fetch the pinned GOV.UK Frontend from the npm registry, check its integrity and
## copy its compiled CSS and JavaScript into static/govuk/ (committed: running and testing need
## no network). Without the GDS Transport font and the crown, which are reserved to GOV.UK.
GOVUK_FRONTEND_VERSION := 6.6.0
GOVUK_FRONTEND_INTEGRITY := sha512-xctkWrQvLnvQt7fyjQ3MGX9S0wz0x0RQuLxCeoXF+s8EjGICG81/DYQGKN5qgO+0KVT12UAaRwUsGY6fulRcRg==
vendor:
	$(PYTHON) bin/vendor-govuk $(GOVUK_FRONTEND_VERSION) $(GOVUK_FRONTEND_INTEGRITY)

## Start Postgres and Redis if this machine has them installed but stopped.
services:
	@bin/ensure-services

## make serve: the production shape without Docker (gunicorn, Celery worker and beat).
serve: $(INSTALLED)
	bin/serve

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var

## make bench: every benchmark scenario against its same-run baseline, as one table (minutes).
## make bench-quick: fewer loads and sizes (target: under 2 minutes). Both need Postgres and Redis and
## use a database of their own (BENCH_DATABASE_URL, dropped at the end) and BENCH_REDIS_URL.
.PHONY: bench bench-quick
bench: $(INSTALLED) services
	$(BIN)/python -m bench

bench-quick: $(INSTALLED) services
	$(BIN)/python -m bench --quick
