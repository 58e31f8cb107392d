"""`make backup` and `make restore` for real (scripts/backup.sh, scripts/restore.sh, scripts/pg_tools.py): a small
committed data set (three accounts with ledger postings, two stored document files) is dumped by the pg_dump of
the server's own major version, restored into a new, empty database and a new media folder, and the ledger's
total per account and every stored file's SHA-256 are the same afterwards; a second restore into the database,
now not empty, is refused without --force."""

import hashlib
import os
import re
import shlex
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from accounts.actors import Actor
from assessments.models import LedgerTransaction
from assessments.services.ledger import ledger_post
from programs.models import DocumentFile
from programs.services.documents import document_issue
from tests.consent.factories import ProgramAccountFactory
from tests.programs import documents_samples as samples
from tests.test_deploy_check import database_url

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump, another process, sees only committed rows

LEDGER_TOTALS = """
    SELECT a.number, count(*), sum(l.amount)
    FROM assessments_ledgertransaction l JOIN programs_programaccount a ON a.id = l.account_id
    GROUP BY a.number ORDER BY a.number
"""
STORED_FILES = "SELECT file, sha256 FROM programs_documentfile ORDER BY file"


def seed():
    """Three accounts, each with tax assessed, a penalty and a payment (one paid in full), and two files."""
    job = Actor.job("backup round-trip test")
    for position, (tax, paid) in enumerate(
        [
            (Decimal("13800.00"), Decimal("-13800.00")),
            (Decimal("412.37"), Decimal("-100.00")),
            (Decimal("0.01"), None),
        ]
    ):
        account = ProgramAccountFactory(taxpayer__legal_name=f"Backup Test {position} Ltd.")
        period = date(2024, 1, 31)
        ledger_post(
            account=account, period_end=period, kind="assessed_tax", amount=tax, description="Tax", actor=job
        )
        ledger_post(
            account=account,
            period_end=period,
            kind="penalty",
            amount=Decimal("25.00"),
            description="Late",
            actor=job,
        )
        if paid is not None:
            ledger_post(
                account=account, period_end=period, kind="payment", amount=paid, description="Paid", actor=job
            )
        if position < 2:
            document_issue(
                account=account,
                files=[(f"letter-{position}.pdf", samples.PDF + f"% {position}\n".encode())],
                description="Approval letter",
                actor=job,
            )


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """One of the scripts as `make backup` and `make restore` run them, with the given database and media."""
    full_env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "MEDIA_ROOT"}}
    full_env.update(env)
    command = [sys.executable] if script.endswith(".py") else []
    return subprocess.run(
        [*command, str(BASE_DIR / "scripts" / script), *args],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def connect(dbname: str, **options) -> psycopg.Connection:
    """A connection of our own to a database on the test database's server (its host may be a socket folder)."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=dbname,
        **options,
    )


@pytest.fixture
def empty_database():
    """A new, empty database on the test database's server (no tables at all), dropped afterwards; its name and
    its DATABASE_URL."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with connect("postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name, re.sub(r"/[^/]*$", f"/{name}", database_url())
    with connect("postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_an_empty_database_has_the_same_ledger_totals_and_files(
    settings, tmp_path, empty_database
):
    seed()
    source_url = database_url()
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_TOTALS)
        ledger_before = cursor.fetchall()
        cursor.execute(STORED_FILES)
        files_before = cursor.fetchall()
    assert len(ledger_before) == 3
    assert len(files_before) == 2
    media = Path(settings.MEDIA_ROOT)
    for name, sha256 in files_before:
        assert sha256_of(media / name) == sha256  # what DocumentFile says is what storage holds
    source_env = {
        "DATABASE_URL": source_url,
        "MEDIA_ROOT": str(media),
        "BACKUP_DIR": str(tmp_path / "backups"),
    }

    # The pg_dump chosen is the server's own major version (pg_tools.py), and says so in the dump.
    tools = run("pg_tools.py", env=source_env)
    assert tools.returncode == 0, tools.stderr[-2000:]
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in tools.stdout.splitlines()
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    assert exports["PG_MAJOR"] == str(server_major)

    backup = run("backup.sh", env=source_env)
    assert backup.returncode == 0, backup.stderr[-2000:]
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert sorted(path.name for path in folder.iterdir()) == ["SHA256SUMS", "database.dump", "media.tar"]
    listing = subprocess.run(
        [f"{exports['PG_BIN']}/pg_restore", "--list", str(folder / "database.dump")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(rf"Dumped from database version: {server_major}\.", listing), listing[:600]
    assert re.search(rf"Dumped by pg_dump version: {server_major}\.", listing), listing[:600]

    name, restored_url = empty_database
    restored_media = tmp_path / "restored-media"
    target_env = {"DATABASE_URL": restored_url, "MEDIA_ROOT": str(restored_media)}
    restore = run("restore.sh", str(folder), env=target_env)
    assert restore.returncode == 0, restore.stderr[-2000:]
    assert f"into {name}" in restore.stdout

    with connect(name) as restored:
        ledger_after = restored.execute(LEDGER_TOTALS).fetchall()
        files_after = restored.execute(STORED_FILES).fetchall()
        count = restored.execute("SELECT count(*) FROM assessments_ledgertransaction").fetchone()[0]
    assert ledger_after == ledger_before
    assert count == LedgerTransaction.objects.count() == 8
    assert files_after == files_before
    print("ledger per account after restore (account, postings, total):")
    for number, postings, total in ledger_after:
        print(f"  {number}  {postings}  {total}")
    print("stored files after restore (path, SHA-256 before = after):")
    for path, sha256 in files_after:
        restored_sha256 = sha256_of(restored_media / path)
        assert restored_sha256 == sha256 == sha256_of(media / path)
        print(f"  {path}  {restored_sha256}")
    assert DocumentFile.objects.count() == 2

    # The database is not empty now: a second restore is refused, and changes nothing.
    again = run("restore.sh", str(folder), env=target_env)
    assert again.returncode == 1
    assert re.search(
        rf"restore: database {name} is not empty \(\d+ tables\); refusing \(--force replaces it\)",
        again.stderr,
    )
    with connect(name) as restored:
        assert restored.execute(LEDGER_TOTALS).fetchall() == ledger_before
