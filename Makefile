# The two commands: `make run` (set up and serve the portal on the embedded default) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ASSETS_STAMP := static/vendor/.built

.PHONY: run test setup lint bench stop clean worker backup restore

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[dev]"
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS_STAMP): $(NODE_STAMP) scripts/build_assets.py
	$(BIN)/python scripts/build_assets.py

setup: $(PY_STAMP) $(ASSETS_STAMP)

run: setup
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(MANAGE) seed_demo
	@echo "Starting a Celery worker with beat (filesystem broker under var/celery; logs in var/celery.log)"
	-@test -f var/celery.pid && kill $$(cat var/celery.pid) 2>/dev/null && sleep 2; rm -f var/celery.pid
	@$(BIN)/celery -A tracs worker --beat --pool solo --loglevel INFO --logfile var/celery.log --pidfile var/celery.pid --detach
	@echo "TRACS is at http://127.0.0.1:8000/  (Ctrl-C stops the web server; 'make stop' stops the rest)"
	@test -n "$$EMAIL_URL" || echo "E-mail is not sent in the demo: what TRACS sends (sign-up verification links, password resets, PINs) is at http://127.0.0.1:8000/dev/mail/"
	$(MANAGE) runserver 127.0.0.1:8000 --noreload

worker: setup
	$(BIN)/celery -A tracs worker --beat --pool solo --loglevel INFO

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Lint, types (mypy: the project at mypy's default, strict on the domain layer; pyproject.toml [tool.mypy]), then
# the suite with branch coverage and the floor on the domain modules ([tool.coverage.report] fail_under).
test: setup
	scripts/ensure_services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(BIN)/pytest -n 2 --dist loadgroup --cov --cov-report=
	$(BIN)/coverage report

bench: setup
	scripts/ensure_services.sh
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(BIN)/python -m bench

# Database (pg_dump of the server's own major version, custom format) and media files into var/backups/<timestamp>/;
# `make restore BACKUP=var/backups/<timestamp>` into an empty database (FORCE=1 replaces a non-empty one).
backup: $(PY_STAMP)
	scripts/backup.sh

restore: $(PY_STAMP)
	scripts/restore.sh "$(BACKUP)" $(if $(FORCE),--force)

stop:
	-@test -f var/celery.pid && kill $$(cat var/celery.pid) 2>/dev/null; rm -f var/celery.pid
	-@test -x $(BIN)/python && $(BIN)/python -c "from tracs import embedded_db; embedded_db.stop()"

clean: stop
	rm -rf $(VENV) node_modules static/vendor var
