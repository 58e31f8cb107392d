#!/usr/bin/env bash
# make restore BACKUP=var/backups/<timestamp> [FORCE=1]: into the configured database, which must be empty
# (no tables) unless FORCE=1; media files into MEDIA_ROOT. docs/operations.md, "Backups".
set -euo pipefail
cd "$(dirname "$0")/.."
backup="${1:?usage: scripts/restore.sh <backup directory> [--force]}"
force="${2:-}"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS)
eval "$(.venv/bin/python scripts/pg_tools.py)"
tables=$("$PG_BIN/psql" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ] && [ "$force" != "--force" ]; then
  echo "restore: database $PGDATABASE is not empty ($tables tables); refusing (--force replaces it)" >&2
  exit 1
fi
clean=(); [ "$tables" != "0" ] && clean=(--clean --if-exists)
"$PG_BIN/pg_restore" --no-owner --exit-on-error "${clean[@]}" --dbname="$PGDATABASE" "$backup/database.dump"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xf "$backup/media.tar"
echo "restored $backup into $PGDATABASE"
