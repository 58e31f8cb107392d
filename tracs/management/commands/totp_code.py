import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from accounts.demo import PEOPLE, totp_key_hex


class Command(BaseCommand):
    help = (
        "Print the current TOTP code of a demo person (for trying the portal without an authenticator app)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if email not in {person.email for person in PEOPLE}:
            raise CommandError("Only demo people have a known TOTP secret.")
        code = totp(bytes.fromhex(totp_key_hex(email)), step=30, t0=0, digits=6, drift=0)
        self.stdout.write(f"{code:06d}  (valid for {30 - int(time.time()) % 30} more seconds)")
