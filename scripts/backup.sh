#!/usr/bin/env bash
# make backup: the portal's database (pg_dump of the server's own major version, custom format) and its media
# files (tar) into a timestamped directory under BACKUP_DIR (default var/backups). docs/operations.md, "Backups".
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python scripts/pg_tools.py)"
target="${BACKUP_DIR:-var/backups}/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
"$PG_BIN/pg_dump" --format=custom --no-owner --file="$target/database.dump"
if [ -d "$MEDIA_ROOT" ]; then tar -C "$MEDIA_ROOT" -cf "$target/media.tar" .; else tar -cf "$target/media.tar" -T /dev/null; fi
(cd "$target" && sha256sum database.dump media.tar > SHA256SUMS)
echo "$target"
