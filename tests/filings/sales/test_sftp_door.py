"""The SFTP door, with OpenSSH's real sftp client over loopback against TRACS's SFTP server (one per test session):
a file put in inbox/ is ingested through the one service and answered in outbox/ and in the portal; a key for
account A never reaches B's folder; a revoked delegate's key, `..`, links, folders, writing to outbox/, an upload
cut short and a file past the size limit are refused, each with a clear message; every session and file is in
the account's access log."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from pathlib import Path

import asyncssh
import pytest
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from filings.sales import formats
from filings.sales.models import Ingestion
from filings.sales.sftp import directories, keys, pickup
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import owner_grant
from tests.filings.sales.conftest import sftp
from tests.filings.sales.sftp_helpers import csv_text, key_pair
from tests.filings.sales_helpers import sale_row, seller
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def door(settings, tmp_path, sftp_server):
    """A seller with two BFLOs and the registry, its owner, and a key registered for the owner."""
    settings.TRACS_SFTP_ROOT = str(tmp_path / "sftp")
    account = seller()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    registry()
    pair = key_pair(tmp_path / "keys")
    keys.sftp_key_register(
        account=account,
        person=owner,
        name="Server",
        public_key=pair.public_text,
        by=owner,
        actor=actor_for(owner),
    )
    return {"account": account, "owner": owner, "key": pair.private, "server": sftp_server, "tmp": tmp_path}


def put(door, commands: str, **kwargs):
    result = sftp(door["server"], user=door["account"].number, key=door["key"], commands=commands, **kwargs)
    door["server"].settle()
    return result


def logged(timeout: float = 30, **filters) -> AccessLogEntry:
    """The access-log row the server writes once it sees the connection end (a moment after the client exits)."""
    deadline = time.monotonic() + timeout
    while (entry := AccessLogEntry.objects.filter(**filters).first()) is None:
        assert time.monotonic() < deadline, f"no access-log row {filters}"
        time.sleep(0.1)
    return entry


def outbox_file(account, name: str, timeout: float = 30) -> str:
    path = directories.outbox(account_number=account.number) / name
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"no {name} in the outbox: {list(path.parent.iterdir())}"
        time.sleep(0.1)
    return path.read_text()


def test_a_file_put_is_ingested_and_answered_in_the_outbox(door):
    account = door["account"]
    local = door["tmp"] / "sales-2026-10.csv"
    local.write_text(csv_text([sale_row(account), sale_row(account, line=2, exemption_number="F7654321")]))
    result = put(door, f"cd inbox\nput {local}\nls\n", cwd=door["tmp"])
    assert result.returncode == 0, result.stderr

    ingestion = Ingestion.objects.get(account=account)
    assert (ingestion.door, ingestion.file_name, ingestion.submitted_by) == (
        "sftp",
        local.name,
        door["owner"],
    )
    assert (ingestion.status, ingestion.rows_accepted, ingestion.rows_rejected) == ("done", 1, 1)
    answer = outbox_file(account, f"{local.name}.ack.csv")
    rejected = list(csv.reader(io.StringIO(answer.split("\n\n", 1)[1])))[1:]
    assert [(row[1], "F7654321" in row[3]) for row in rejected] == [("exemption_number", True)]
    assert list(directories.inbox(account_number=account.number).iterdir()) == []  # picked up, once

    listing = put(door, "ls outbox\nget outbox/sales-2026-10.csv.ack.csv\n", cwd=door["tmp"])
    logged(action="SFTP file read")
    deadline = time.monotonic() + 30
    while AccessLogEntry.objects.filter(action="SFTP session closed").count() < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "sales-2026-10.csv.ack.csv" in listing.stdout
    assert (door["tmp"] / "sales-2026-10.csv.ack.csv").read_text() == answer
    actions = list(
        AccessLogEntry.objects.filter(account_number=account.number, door="sftp")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions.count("SFTP session opened") == 2
    assert actions.count("SFTP session closed") == 2
    assert "SFTP file put" in actions
    assert "SFTP file read" in actions

    # Under a temporary name, a file waits for its rename.
    local = door["tmp"] / "october.csv"
    local.write_text(csv_text([sale_row(account, invoice="INV-2")]))
    put(door, f"put {local} inbox/october.csv.part\n")
    assert Ingestion.objects.count() == 1
    assert (directories.inbox(account_number=account.number) / "october.csv.part").exists()

    put(door, "rename inbox/october.csv.part inbox/october.csv\n")
    assert Ingestion.objects.order_by("pk").last().file_name == "october.csv"
    assert outbox_file(account, "october.csv.ack.csv").startswith("file,status")


def test_a_key_for_account_a_never_reaches_b(door):
    other = seller()
    owner_grant(account=other, user=door["owner"])  # the same person owns B
    result = sftp(door["server"], user=other.number, key=door["key"], commands="ls\n")
    door["server"].settle()
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr
    assert not directories.account_directory(account_number=other.number).exists()
    refused = logged(account_number=other.number, action="SFTP sign-in refused")
    assert refused.detail == str(keys.NO_SUCH_KEY)
    # Inside A's folder, B's does not exist: the session's root is A's folder.
    escape = put(door, f"ls /../{other.number}\n")
    assert escape.returncode != 0

    # A delegate's key works while the delegate's access does: refused at the first sign-in after it ends.
    account = door["account"]
    clerk = UserFactory()
    grant = Grant.objects.create(
        account=account,
        user=clerk,
        role=Grant.Role.DELEGATE,
        privileges=["report_fuel"],
        status=Grant.Status.ACTIVE,
        name="Clerk",
        email=clerk.email,
        activated_at=timezone.now(),
    )
    pair = key_pair(door["tmp"] / "clerk")
    keys.sftp_key_register(
        account=account, person=clerk, name="Clerk", public_key=pair.public_text, by=door["owner"],
        actor=actor_for(door["owner"]),
    )  # fmt: skip
    assert sftp(door["server"], user=account.number, key=pair.private, commands="ls\n").returncode == 0
    grant.status = Grant.Status.REVOKED
    grant.revoked_at = timezone.now()
    grant.save()

    result = sftp(door["server"], user=account.number, key=pair.private, commands="ls\n")
    door["server"].settle()
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr
    refused = logged(account_number=account.number, action="SFTP sign-in refused")
    assert refused.detail == str(keys.ACCESS_ENDED)


def test_dot_dot_links_folders_the_outbox_a_cut_upload_and_a_big_file_are_refused(door, monkeypatch):
    account = door["account"]
    local = door["tmp"] / "a.csv"
    local.write_text("x\n")
    for command in (
        f"put {local} inbox/..a.csv",
        f"put {local} outbox/a.csv",
        "mkdir inbox/sub",
        "symlink /outbox inbox/link",
        f"put {local} inbox/bad*name.csv",
    ):
        result = put(door, command + "\n")
        assert result.returncode != 0, command
    assert list(directories.inbox(account_number=account.number).iterdir()) == []
    assert list(directories.outbox(account_number=account.number).iterdir()) == []
    details = set(
        AccessLogEntry.objects.filter(
            account_number=account.number, action="SFTP request refused"
        ).values_list("detail", flat=True)
    )
    assert str(directories.DOT_DOT % {"name": "..a.csv"}) in details
    assert "write to outbox/a.csv" in details
    assert "symbolic link" in details

    # An upload cut short: removed, and answered in the outbox.

    async def cut_short() -> None:
        async with asyncssh.connect(
            "127.0.0.1", door["server"].port, username=account.number, client_keys=[str(door["key"])],
            known_hosts=None, agent_path=None,
        ) as conn:  # fmt: skip
            sftp_client = await conn.start_sftp_client()
            handle = await sftp_client.open("inbox/cut.csv", "wb")
            await handle.write(b"account_number,month,record\n")
            conn.abort()  # the connection drops before the file is closed

    asyncio.run(cut_short())
    door["server"].settle()
    answer = outbox_file(account, "cut.csv.ack.csv")
    assert "the upload ended before the file was closed" in answer
    assert not (directories.inbox(account_number=account.number) / "cut.csv").exists()
    assert not Ingestion.objects.exists()

    # A file past the size limit: refused as soon as it crosses it.
    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 1024 * 1024)
    big = door["tmp"] / "big.csv"
    big.write_bytes(b"x" * (1024 * 1024 + 10))
    result = put(door, f"put {big} inbox/big.csv\n")
    assert result.returncode != 0
    answer = outbox_file(door["account"], "big.csv.ack.csv")
    assert "larger than 1 MB, the largest file accepted" in answer
    assert not Ingestion.objects.exists()


def test_the_sweep_picks_up_settled_files_and_refuses_links(door, settings):
    """What sshd leaves in an inbox (no close seen): picked up once unchanged for TRACS_SFTP_SETTLE_SECONDS."""
    account = door["account"]
    settings.TRACS_SFTP_SETTLE_SECONDS = 0
    inbox = directories.inbox(account_number=account.number)
    (inbox / "dropped.csv").write_text(csv_text([sale_row(account)]))
    (inbox / "still-writing.csv.part").write_text("account_number")
    (inbox / "link.csv").symlink_to(Path("/etc/passwd"))
    time.sleep(0.01)

    assert pickup.inbox_sweep() == 1
    assert Ingestion.objects.get().file_name == "dropped.csv"
    assert "is a symbolic link" in outbox_file(account, "link.csv.ack.csv")
    assert sorted(path.name for path in inbox.iterdir()) == ["still-writing.csv.part"]
    outbox_file(account, "dropped.csv.ack.csv")
