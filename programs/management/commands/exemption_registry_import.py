"""Import a file of exemption registry changes (docs/exemption-registry-import.md) from the command line, the same
way as the admin page: every rule checked, then the whole file stored or nothing. For files too big for an
upload; `--check` runs every rule and stores nothing. Exits 1 when the file has errors, printing each with its
line and column."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor, Door
from accounts.models import User
from programs.registries import services


class Command(BaseCommand):
    help = "Check and import a CSV file of exemption registry changes (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--check", action="store_true", help="Run every rule, store nothing.")
        parser.add_argument(
            "--by", default="", help="E-mail address of the member of staff importing (kept with the import)."
        )

    def handle(self, *args, file: Path, check: bool, by: str, **options):
        user = None
        if by:
            user = User.objects.filter(email__iexact=by, is_staff=True).first()
            if user is None:
                raise CommandError(f"No member of staff with the e-mail address {by}.")
        actor = Actor.job("manage.py exemption_registry_import", door=Door.FILE, user=user)
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        with file.open("rb") as stream:
            result = services.registry_file_import(
                stream=stream, filename=file.name, actor=actor, validate_only=check
            )
        counts = ", ".join(f"{action} {n}" for action, n in sorted(result.counts.items()))
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            hidden = result.error_count - len(result.errors)
            if hidden:
                self.stderr.write(f"...and {hidden} more errors.")
            raise CommandError(f"{result.error_count} error(s) in {file.name}: nothing was stored.")
        verb = "checked, nothing stored" if check else "imported"
        self.stdout.write(f"{file.name}: {result.rows} change(s) {verb} ({counts}).")
