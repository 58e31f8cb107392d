"""The demo's SFTP key (README, "Marked fuel files over SFTP"): the demo owner's key on Prairie Fuels' marked-fuel
account. The key pair is made when the demo is loaded, under var/demo-sftp/ (never in the repository): its private
half is the demo's to connect with, `sftp -i var/demo-sftp/id_ed25519 -P 8022 <account number>@127.0.0.1`."""

from __future__ import annotations

from pathlib import Path

import asyncssh
from django.conf import settings

from accounts.actors import Actor
from filings.sales.sftp import keys
from filings.sales.sftp.models import SftpKey
from programs.models import ProgramAccount

DEMO_KEY_NAME = "Demo accounting server"


def demo_key_path() -> Path:
    """Beside the SFTP folders (var/demo-sftp/ for make run)."""
    return Path(settings.TRACS_SFTP_ROOT).parent / "demo-sftp" / "id_ed25519"


def seed(*, users) -> None:
    account = ProgramAccount.objects.filter(taxpayer__bin="123456789", program__code="tefs").first()
    if account is None:
        return
    owner = users["owner"]
    path = demo_key_path()
    existing = SftpKey.objects.filter(account=account, name=DEMO_KEY_NAME).exclude(
        status=SftpKey.Status.REVOKED
    )
    if path.exists() and existing.exists():
        return
    actor = Actor.job("demo data", user=owner).acting_for(capacity="owner")
    for stale in existing:  # its private half is gone: a new pair replaces it
        keys.sftp_key_revoke(key=stale, by=owner, actor=actor, reason="demo key pair made again")
    path.parent.mkdir(parents=True, exist_ok=True)
    private = asyncssh.generate_private_key("ssh-ed25519", comment="tracs-demo-sftp")
    path.unlink(missing_ok=True)
    private.write_private_key(str(path))
    path.chmod(0o600)
    public = private.export_public_key("openssh").decode()
    path.with_suffix(".pub").write_text(public)
    keys.sftp_key_register(
        account=account, person=owner, name=DEMO_KEY_NAME, public_key=public, by=owner, actor=actor
    )
