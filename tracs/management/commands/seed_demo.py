import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo as people

# Each app that has demo data exposes `demo.seed(users)`; they run in dependency order, idempotently.
DEMO_MODULES = [
    "programs.demo",
    "consent.demo",
    "filings.demo",
    "filings.sales.demo",
    "filings.sales.sftp.demo",  # the demo owner's SFTP key on Prairie Fuels' marked-fuel account
    "filings.demo_dye_sites",  # Prairie Fuels' dye site and its monthly reports (AT4984, AT366)
    "filings.demo_tourism_levy",
    "assessments.demo",
    "assessments.demo_tourism_levy",
    "assessments.demo_prop",
    "assessments.cycles.demo",  # Prairie Fuels' refunds of 2018, and the recent cycles that paid nothing
]


class Command(BaseCommand):
    help = "Create or refresh the demo people and their data (idempotent), then print the demo sign-ins."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        with transaction.atomic():
            users = people.seed()
            for name in DEMO_MODULES:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError:
                    continue
                module.seed(users=users)
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins (password for all: {people.DEMO_PASSWORD})"))
        width = max(len(person.role) for person in people.PEOPLE)
        for person in people.PEOPLE:
            self.stdout.write(
                f"  {person.role:<{width}} {person.email:<26} TOTP secret {people.totp_secret_base32(person.email)}"
            )
        self.stdout.write(
            "  Add a secret to an authenticator app, or print the current code: .venv/bin/python manage.py totp_code EMAIL"
        )
