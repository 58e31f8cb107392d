"""sshd's AuthorizedKeysCommand for the SFTP door (docker/sftp/sshd_config: `manage.py sftp_authorized_keys %u %f`).

For the account number sshd was given as user name and the fingerprint of the key the client offers, prints the
key as an authorized_keys line (restricted to SFTP) when it works today (filings.sales.sftp.keys.sftp_key_check:
registered on that account, active, its person's access in force including REPORT_FUEL), and nothing otherwise;
a registered key refused (revoked person's access, waiting for approval, closed account) is a security event in
the account's access log. Asked at every sign-in, so a key dies with its person's access."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from filings.sales.sftp import keys
from filings.sales.sftp.models import SftpKey


class Command(BaseCommand):
    help = "Print the SFTP key of this account and fingerprint if it may sign in now (sshd AuthorizedKeysCommand)."

    def add_arguments(self, parser):
        parser.add_argument("account_number")
        parser.add_argument("fingerprint")

    def handle(self, *args, account_number: str, fingerprint: str, **options):
        try:
            key = keys.sftp_key_check(account_number=account_number, fingerprint=fingerprint)
        except keys.SignInRefused as refusal:
            if refusal.reason != str(keys.NO_SUCH_KEY):
                keys.sftp_sign_in_refused(
                    account_number=account_number, reasons=[refusal.reason], ip_address=None
                )
            return
        SftpKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        self.stdout.write(f"restrict {key.public_key} tracs-key-{key.pk}")
