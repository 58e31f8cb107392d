"""Give, take away and list staff roles from the command line (docs/staff-roles.md), for the first administrator of
a new installation and for operators' scripts; staff administration's user page does the same for administrators.

    manage.py staff_role list                               every role, what it is for and who holds it
    manage.py staff_role show EMAIL                         the roles one person holds
    manage.py staff_role grant EMAIL ROLE [ROLE ...]        give roles (the person becomes staff)
    manage.py staff_role revoke EMAIL ROLE [ROLE ...]       take roles away

ROLE is a role's key (refund_approver) or its name ("Refund approver"). An unknown role, or an e-mail address no
one signs in with, is refused with nothing changed; each change is written to the access log (door: job)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import roles
from accounts.actors import Actor
from accounts.models import User

NO_SUCH_PERSON = "No one signs in with the e-mail address {email}."


class Command(BaseCommand):
    help = "Give, take away or list staff roles (docs/staff-roles.md)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        commands.add_parser("list", help="every role, what it is for and who holds it")
        show = commands.add_parser("show", help="the roles one person holds")
        show.add_argument("email")
        for name, what in (("grant", "give"), ("revoke", "take away")):
            change = commands.add_parser(name, help=f"{what} roles")
            change.add_argument("email")
            change.add_argument("roles", nargs="+", metavar="ROLE")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "list":
            self._list()
            return
        person = User.objects.filter(email__iexact=options["email"].strip()).first()
        if person is None:
            raise CommandError(NO_SUCH_PERSON.format(email=options["email"]))
        if subcommand == "show":
            self._show(person)
            return
        actor = Actor.job(f"manage.py staff_role {subcommand}")
        change = roles.staff_role_grant if subcommand == "grant" else roles.staff_role_revoke
        try:
            changed = change(user=person, roles=options["roles"], actor=actor)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        verb = "given to" if subcommand == "grant" else "taken away from"
        names = ", ".join(role.name for role in changed) or "none (nothing to change)"
        self.stdout.write(self.style.SUCCESS(f"Roles {verb} {person.email}: {names}."))
        self._show(person)

    def _show(self, person: User) -> None:
        held = ", ".join(role.name for role in roles.staff_roles_of(user=person)) or "no staff role"
        superuser = " (a superuser: every permission, whatever the roles)" if person.is_superuser else ""
        self.stdout.write(f"{person.email} holds: {held}{superuser}.")

    def _list(self) -> None:
        holders: dict[str, list[str]] = {role.name: [] for role in roles.ROLES}
        for email, group in User.objects.filter(groups__name__in=holders).values_list(
            "email", "groups__name"
        ):
            holders[group].append(email)
        for role in roles.ROLES:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{role.name} ({role.key})"))
            self.stdout.write(f"  {role.summary}")
            self.stdout.write(f"  held by: {', '.join(sorted(holders[role.name])) or 'nobody'}")
