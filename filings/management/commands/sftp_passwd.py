"""The system accounts sshd needs for the SFTP door (docker/sftp/entrypoint.sh writes them to libnss-extrausers'
passwd every minute): one per marked-fuel account with an SFTP key in use, its account number as name, no password,
no shell. Also makes each account's folders, owned as sshd's ChrootDirectory needs: the account's folder root's, not
writable by the account; inbox/ the account's, shared with the workers (its group); outbox/ the workers' (their
user, `--outbox-uid`), which the account reads and cannot write, as TRACS's own server allows."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from filings.sales.sftp import directories
from filings.sales.sftp.models import SftpKey

UID_BASE = 20000  # above every system and image user


class Command(BaseCommand):
    help = "Print passwd lines for the accounts that have SFTP keys, and make their folders (sshd's side)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--gid", type=int, default=UID_BASE, help="The group of the SFTP accounts and workers."
        )
        parser.add_argument(
            "--chown",
            action="store_true",
            help="Give each account its inbox/, the workers its outbox/ (root).",
        )
        parser.add_argument(
            "--outbox-uid",
            type=int,
            default=os.getuid(),
            help="The user the workers write acknowledgements as (the image's tracs); default: this one.",
        )

    def handle(self, *args, gid: int, chown: bool, outbox_uid: int, **options):
        accounts = (
            SftpKey.objects.exclude(status=SftpKey.Status.REVOKED)
            .values_list("account_id", "account__number")
            .distinct()
            .order_by("account__number")
        )
        for account_id, number in accounts:
            uid = UID_BASE + account_id
            base = directories.account_directories_make(account_number=number)
            if chown:
                os.chown(base, 0, 0)
                # inbox/: the account and the workers (its group), no one else. outbox/: the workers write, the
                # account (in the group) reads.
                os.chown(base / directories.INBOX, uid, gid)
                os.chmod(base / directories.INBOX, 0o2770)  # noqa: S103
                os.chown(base / directories.OUTBOX, outbox_uid, gid)
                os.chmod(base / directories.OUTBOX, 0o2750)  # noqa: S103
            self.stdout.write(f"{number}:x:{uid}:{gid}:TRACS SFTP {number}:/:/usr/sbin/nologin")
