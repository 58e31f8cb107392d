"""Demo people for `make run` and the browser tests. Fixed passwords and TOTP secrets, printed at start-up,
so a person can add the secret to an authenticator app and a script can compute codes. Never in production."""

import base64
import hashlib
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor
from accounts.models import User
from accounts.roles import staff_roles_set

DEMO_PASSWORD = "Tracs-demo-2026!"  # noqa: S105 - demo only; seed_demo refuses to run in production


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    full_name: str
    role: str
    staff_roles: tuple[str, ...] = ()  # accounts/roles.py keys: TRA staff hold roles, none is a superuser

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_roles)


PEOPLE = [
    DemoPerson("owner", "owner@demo.tracs.ca", "Olivia Owner", "Business owner (Prairie Fuels Ltd.)"),
    DemoPerson("employee", "employee@demo.tracs.ca", "Evan Employee", "Employee of Prairie Fuels (delegate)"),
    DemoPerson(
        "operator",
        "operator@demo.tracs.ca",
        "Hana Hotelier",
        "Hotel operator (Rocky Mountain Lodging Ltd.: two establishments, tourism levy)",
    ),
    DemoPerson(
        "representative",
        "rep@demo.tracs.ca",
        "Rita Representative",
        "Tax preparer (representative under a consent)",
    ),
    DemoPerson(
        "staff",
        "staff@demo.tracs.ca",
        "Sam Staff",
        "TRA staff: registrations, consents and PINs, assessments, refunds, the exemption registry",
        staff_roles=(
            "registration_officer",
            "consent_pin_officer",
            "assessor",
            "refund_approver",
            "exemptions_officer",
        ),
    ),
    # The second pair of eyes: a refund above the four-eyes amount needs Sam's approval and Rae's.
    DemoPerson(
        "reviewer",
        "reviewer@demo.tracs.ca",
        "Rae Reviewer",
        "TRA staff: refunds (second approval), objections and waivers",
        staff_roles=("refund_approver", "objections_officer"),
    ),
    DemoPerson(
        "administrator",
        "admin@demo.tracs.ca",
        "Ada Administrator",
        "TRA staff: staff and their roles, the technical sections",
        staff_roles=("administrator",),
    ),
]


def totp_key_hex(email: str) -> str:
    return hashlib.sha256(f"tracs-demo-totp:{email}".encode()).hexdigest()[:40]


def totp_secret_base32(email: str) -> str:
    return base64.b32encode(bytes.fromhex(totp_key_hex(email))).decode()


def seed() -> dict[str, User]:
    users = {}
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            email=person.email,
            defaults={
                "full_name": person.full_name,
                "is_staff": bool(person.staff_roles),
                "is_superuser": False,
                "is_active": True,
            },
        )
        staff_roles_set(user=user, roles=person.staff_roles, actor=Actor.job("demo data"))
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=person.email, defaults={"verified": True, "primary": True}
        )
        TOTPDevice.objects.update_or_create(
            user=user,
            name="Authenticator app",
            defaults={"key": totp_key_hex(person.email), "confirmed": True, "step": 30, "digits": 6},
        )
        users[person.key] = user
    return users


def as_of(moment):
    """Run the demo's history at the moment it happened (a return received, assessed, paid on its own date), so
    notices, the ledger and the access log read as a real account's would. time-machine comes with the
    development tools `make run` installs; without it (an image built without them) the history is dated today."""
    try:
        import time_machine
    except ImportError:  # pragma: no cover - make run and the tests install it
        from contextlib import nullcontext

        return nullcontext()
    return time_machine.travel(moment, tick=False)
