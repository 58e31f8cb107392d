"""sshd's AuthorizedKeysCommand for the SFTP door (docker/sftp/sshd_config, through docker/sftp/authorized-keys:
`manage.py sftp_authorized_keys %u %f`).

For the account number sshd was given as user name and the fingerprint of the key the client offers, prints the
key as an authorized_keys line (restricted to SFTP) when it works today (filings.sales.sftp.keys.sftp_key_check:
registered on that account, active, its person's access in force including REPORT_FUEL), and nothing otherwise.
Asked at every sign-in, so a key dies with its person's access. Each answer is in the account's access log as the
asyncssh server writes it ("SFTP session opened", "SFTP sign-in refused"), once per sshd connection and key
(filings.sales.sftp.keys.sftp_sshd_sign_in): sshd runs this command from its process for the client's connection,
whose id is this process's parent's."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from filings.sales.sftp import keys


class Command(BaseCommand):
    help = "Print the SFTP key of this account and fingerprint if it may sign in now (sshd AuthorizedKeysCommand)."

    def add_arguments(self, parser):
        parser.add_argument("account_number")
        parser.add_argument("fingerprint")
        parser.add_argument(
            "--connection",
            default="",
            help="What names the client's connection (default: sshd's connection process, this one's parent).",
        )

    def handle(self, *args, account_number: str, fingerprint: str, connection: str, **options):
        key = keys.sftp_sshd_sign_in(
            account_number=account_number,
            fingerprint=fingerprint,
            connection=connection or f"connection process {os.getppid()}",
        )
        if key is not None:
            self.stdout.write(f"restrict {key.public_key} tracs-key-{key.pk}")
