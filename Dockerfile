# The production image: one image for the web (gunicorn), the Celery worker and Celery beat
# (docker-compose.yml picks the command). Static files are collected, compressed and hashed at build time.

# --- 1. The Government of Alberta design system comes from npm at build time, never from the repository.
FROM node:22-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- 2. The application.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=tracs.settings

# WeasyPrint (notices and letters as PDF) needs Pango and a font; nothing else is installed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 tracs

WORKDIR /app
# Exactly the runtime lock (requirements/runtime.txt, written by `make lock`: no test tool, no embedded
# PostgreSQL), every file checked against its hash; then the project itself, whose dependencies that lock is.
COPY pyproject.toml ./
COPY requirements/runtime.txt requirements/
RUN pip install --require-hashes -r requirements/runtime.txt \
    && pip install --no-deps .

COPY . .
COPY --from=assets /app/node_modules ./node_modules
# collectstatic only reads settings: a throwaway key and a database URL that is parsed, never connected to.
RUN python scripts/build_assets.py \
    && rm -rf node_modules var \
    && DATABASE_URL=postgres://build@localhost/build SECRET_KEY=collectstatic-only-not-a-secret \
       python manage.py collectstatic --no-input --verbosity 0 \
    && rm -rf var/celery var/secret_key \
    && mkdir -p /data/media \
    && chown -R tracs:tracs var /data

USER tracs
EXPOSE 8000
CMD ["gunicorn", "tracs.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
