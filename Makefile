# The two commands: `make run` (set up and serve the portal on the embedded default) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ASSETS_STAMP := static/vendor/.built
# The locks (docs/dependencies.md): what make run and make test install, what the image installs, and uv itself.
DEV_LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
UV_LOCK := requirements/uv.txt
UV := $(BIN)/uv
# uv reaches PyPI as pip does here: trusting the platform's certificate store (where a registry mirror's own
# authority is installed, as pip's `cert` setting points to) and with pip's patience. It does not read pip's
# extra indexes or find-links, on purpose: the locks' hashes are PyPI's own files.
export UV_SYSTEM_CERTS ?= 1
export UV_HTTP_TIMEOUT ?= 180
# Python keeps its compiled modules (__pycache__, git-ignored) even where the environment says not to write them
# (PYTHONDONTWRITEBYTECODE=1 on these machines): otherwise every process of `make test` (both pytest workers, each
# child the tests start, the dev server's reloads) compiles every module it imports again, 3.2 s of CPU a Django
# start here against 1.5 s from the cache.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test setup lint bench stop clean worker backup restore lock lock-check

$(UV): $(UV_LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(UV_LOCK)
	@touch $@

# Exactly the development lock (uv pip sync removes what it does not list, keeping pip and uv), each file
# checked against its hash; then the project itself, whose dependencies the lock already is.
$(PY_STAMP): pyproject.toml $(DEV_LOCK) $(UV)
	$(PY) scripts/lock.py check
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes $(DEV_LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps .
	@touch $@

# Resolve the locks again after a change to pyproject.toml; every pin that still fits is kept, except the
# packages named in UPGRADE (`make lock UPGRADE="weasyprint cryptography"`; UPGRADE=all moves every one).
lock: $(UV)
	$(PY) scripts/lock.py write --uv $(UV) $(if $(UPGRADE),--upgrade $(UPGRADE))

# Fails, naming each package, when a lock no longer answers pyproject.toml (needs no network and no .venv).
lock-check:
	$(PY) scripts/lock.py check

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
	@echo "Starting the SFTP server for marked-fuel files (manage.py sftp_server; logs in var/sftp.log; docs/sftp.md)"
	-@test -f var/sftp.pid && kill $$(cat var/sftp.pid) 2>/dev/null && sleep 1; rm -f var/sftp.pid
	@nohup $(MANAGE) sftp_server >var/sftp.log 2>&1 & echo $$! >var/sftp.pid
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
test: lock-check setup
	scripts/ensure_services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(BIN)/pytest -n 2 --dist loadgroup --cov --cov-report= --durations=20
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
	-@test -f var/sftp.pid && kill $$(cat var/sftp.pid) 2>/dev/null; rm -f var/sftp.pid
	-@test -x $(BIN)/python && $(BIN)/python -c "from tracs import embedded_db; embedded_db.stop()"

clean: stop
	rm -rf $(VENV) node_modules static/vendor var
