"""Staff roles (issue 12, item 1; docs/staff-roles.md): what each kind of TRA staff member may see and do in
staff administration, as Django groups of permissions.

Each role is one Django group named as staff say it ("Refund approver"). Its permissions are written here once:
Django's own model permissions (view, add, change) and the custom ones a decision needs (models' Meta.permissions:
`assessments.approve_refund`, `assessments.decide_objection`, ...), never borrowed from another model. No role
deletes anything: records are closed, cancelled or reversed by services that keep the history. The groups are
created by a data migration (accounts/migrations/0008_staff_roles.py) and brought back in line with this module
after every `migrate` and every flush of a test database (accounts.apps: the same post_migrate moment at which
Django creates the permissions themselves), so a role changed here needs no new migration.

A person is given roles through the services below (staff administration's user page, `manage.py staff_role`),
which make the person staff, log the change and refuse a role that does not exist by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record

UNKNOWN_ROLE = _("There is no staff role “%(name)s”. The staff roles are: %(roles)s.")
OWN_ROLES = _("You cannot change your own staff roles: another administrator must.")
StrOrPromise = str | Promise
INACTIVE_PERSON = _(
    "%(email)s cannot sign in (the profile is deactivated): reactivate it before giving a role."
)

# The permission that opens the technical sections (tracs.admin.SystemAdminMixin): the system's own tables, the
# e-mail outbox, scheduled jobs. Only the administrator holds it (and superusers, who hold every permission).
ADMINISTER_SYSTEM = "accounts.administer_system"


@dataclass(frozen=True)
class Role:
    """A staff role: `key` (what `manage.py staff_role` takes), `name` (the Django group's name, as staff say it),
    `summary` (what the role is for, shown beside it when roles are given) and its permissions, each
    "app_label.codename", or "app_label.view_*" (every view permission of the app) or "app_label.*" (every
    permission of the app), less `excluded`."""

    key: str
    name: str
    summary: StrOrPromise
    permissions: tuple[str, ...]
    excluded: tuple[str, ...] = ()


# What several roles read to do their part: a program account's page with every inline on it (an inline shows
# only to someone who may view its model), the reference data, and so on.
ACCOUNT_PAGE = (
    "programs.view_taxpayer",
    "programs.view_programaccount",
    "programs.view_address",
    "programs.view_contact",
    "programs.view_directdeposit",
    "programs.view_bulkfuellocation",
    "programs.view_programaccountevent",
    "programs.view_accountchange",
    "consent.view_grant",
)
REFERENCE = ("programs.view_program", "programs.view_taxrate", "programs.view_holiday")
DOCUMENTS = ("programs.view_document", "programs.view_documentfile")
FILINGS = (
    "filings.view_fueltaxreturn",
    "filings.view_returnline",
    "filings.view_claim",
    "filings.view_claimline",
)
ASSESSED = (
    "assessments.view_assessment",
    "assessments.view_assessmentline",
    "assessments.view_claimassessment",
    "assessments.view_claimassessmentline",
    "assessments.view_notice",
    "assessments.view_noticeread",
    "assessments.view_ledgertransaction",
)
# The marked-fuel sellers' records (filings/sales): what the exemptions officer reads beside the registry.
MARKED_FUEL = (
    "filings.view_ingestion",
    "filings.view_sale",
    "filings.view_movement",
    "filings.view_inventorycount",
    "filings.view_rejectedrow",
    # Every seller's inventory variances by month (filings/sales/admin_inventory.py), beside the counts.
    "filings.view_inventoryvariance",
)
BUSINESS_APPS = ("accounts", "programs", "consent", "filings", "assessments")
# The libraries' system tables (tracs.admin.SYSTEM_APPS), as the administrator keeps them: read, and only what
# cannot take over a person's sign-in. Staff groups are read only (roles are defined here); two-factor devices
# are read only too (a device added or changed in admin would be a second factor someone else knows: two-factor is
# reset with the identity-checked action on the user's list); lockouts are lifted by deleting the attempt; a
# single sign-on link is removed by deleting it; the provider's app and the site address are configured here.
SYSTEM_APP_PERMISSIONS = (
    "auth.view_group",
    "auth.view_permission",
    "account.view_emailaddress",
    "account.change_emailaddress",
    "otp_static.view_*",
    "otp_totp.view_*",
    "axes.view_*",
    "axes.delete_*",
    "sites.view_site",
    "sites.change_site",
    "socialaccount.view_socialapp",
    "socialaccount.add_socialapp",
    "socialaccount.change_socialapp",
    "socialaccount.view_socialaccount",
    "socialaccount.delete_socialaccount",
    "socialaccount.view_socialtoken",
    "socialaccount.delete_socialtoken",
)

ROLES: tuple[Role, ...] = (
    Role(
        "registration_officer",
        "Registration officer",
        _("Reviews online registrations; keeps taxpayers and program accounts (opens, closes, transfers)."),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *DOCUMENTS,
            "programs.add_taxpayer",
            "programs.change_taxpayer",
            "programs.add_programaccount",
            "programs.change_programaccount",
            "programs.transfer_programaccount",
            "programs.add_address",
            "programs.change_address",
            "programs.add_bulkfuellocation",
            "programs.change_bulkfuellocation",
            "programs.view_registration",
            "programs.view_registrationlocation",
            "programs.view_registrationcontact",
            "programs.view_registrationevent",
            "programs.review_registration",
            # Dye sites: approved from a registration's dye-site part or entered from a paper application.
            "programs.view_registrationdyesite",
            "programs.view_dyesite",
            "programs.add_dyesite",
            "programs.change_dyesite",
        ),
    ),
    Role(
        "consent_pin_officer",
        "Consent and PIN officer",
        _(
            "Records and decides consents (AT4931), revokes access, issues and mails PINs, handles PIN alerts; "
            "approves and revokes SFTP keys."
        ),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            "consent.view_consent",
            "consent.add_consent",
            "consent.change_consent",
            "consent.decide_consent",
            "consent.revoke_grant",
            "accounts.view_pin",
            "accounts.add_pin",
            "accounts.download_pin_letter",
            "accounts.cancel_pin",
            "accounts.view_pinattempt",
            "accounts.view_pinfailurealert",
            "accounts.change_pinfailurealert",
            "filings.view_sftpkey",
            "filings.approve_sftpkey",
        ),
    ),
    Role(
        "assessor",
        "Assessor",
        _(
            "Works the queues of returns and claims: takes them into review, assesses and reassesses them; "
            "processes marked-fuel monthly reports or returns them to the seller."
        ),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *DOCUMENTS,
            *FILINGS,
            *ASSESSED,
            "assessments.view_returntoassess",
            "assessments.view_tourismlevyreturntoassess",
            "assessments.view_claimtoassess",
            "assessments.assess_return",
            "assessments.assess_claim",
            "assessments.view_refund",
            "filings.view_markedfuelreport",
            "filings.view_markedfuelreportline",
            "filings.process_markedfuelreport",
            # Dye sites' monthly reports (AT4984, AT366), processed like the marked-fuel reports.
            "programs.view_dyesite",
            "filings.view_dyestockreport",
            "filings.view_dyestockadjustment",
            "filings.view_litresdyedreport",
            "filings.view_litresdyedline",
            "filings.process_dyesitereport",
            # Every seller's inventory variances, linked to the reports they process.
            "filings.view_inventoryvariance",
        ),
    ),
    Role(
        "refund_approver",
        "Refund approver",
        _("Approves refunds (a second approver above the four-eyes amount) or cancels them."),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *FILINGS,
            *ASSESSED,
            "assessments.view_refund",
            "assessments.approve_refund",
            "assessments.cancel_refund",
            "assessments.view_refundpaymentfile",
            # The marked-fuel refund cycle: its runs and claims beside the sales behind them, and a rerun.
            "filings.view_sale",
            "assessments.view_cyclerun",
            "assessments.view_cycleclaim",
            "assessments.run_refund_cycle",
        ),
    ),
    Role(
        "payments_clerk",
        "Payments clerk",
        _("Records payments received (one, or a payment file) and downloads the refund payment files."),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *ASSESSED,
            "assessments.view_payment",
            "assessments.add_payment",
            "assessments.view_refund",
            "assessments.view_refundpaymentfile",
            "assessments.download_refundpaymentfile",
        ),
    ),
    Role(
        "objections_officer",
        "Objections and waivers officer",
        _("Decides Notices of Objection (AT4762) and requests to waive penalties and interest (AT4764)."),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *DOCUMENTS,
            *FILINGS,
            *ASSESSED,
            "assessments.view_objection",
            "assessments.view_waiverrequest",
            "assessments.view_supportingdocument",
            "assessments.decide_objection",
            "assessments.decide_waiver",
        ),
    ),
    Role(
        "messages_officer",
        "Messages officer",
        _("Writes to accounts (one, or every account of a program) and answers their messages."),
        (
            *ACCOUNT_PAGE,
            *REFERENCE,
            *DOCUMENTS,
            "programs.view_message",
            "programs.add_message",
            "programs.change_message",
            "programs.view_messagereply",
        ),
    ),
    Role(
        "exemptions_officer",
        "Exemptions officer",
        _(
            "Keeps the exemption registry: AFFB numbers, TEFU and carbon levy exemption certificates, their holders "
            "and status history; imports the registry's change files. Reads the marked-fuel sellers' sales, "
            "movements, inventory counts, ingestion log and rejected rows."
        ),
        (
            *REFERENCE,
            "programs.view_exemptionholder",
            "programs.add_exemptionholder",
            "programs.change_exemptionholder",
            "programs.view_exemptioncertificate",
            "programs.add_exemptioncertificate",
            "programs.change_exemptioncertificate",
            "programs.view_exemptionstatusperiod",
            "programs.view_exemptionimport",
            *MARKED_FUEL,
        ),
    ),
    Role(
        "auditor",
        "Auditor",
        _("Reads every business record, the access log and who holds which role; changes nothing."),
        tuple(f"{app}.view_*" for app in BUSINESS_APPS),
        # The outbox and the scheduled jobs are technical sections (the administrator's).
        excluded=("accounts.view_outboxemail", "accounts.view_scheduledjob"),
    ),
    Role(
        "administrator",
        "Administrator",
        _(
            "Keeps staff profiles and their roles, resets two-factor, and is the only role with the technical sections."
        ),
        (
            ADMINISTER_SYSTEM,
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.reset_two_factor",
            "accounts.view_accesslogentry",
            "accounts.view_outboxemail",
            "accounts.view_scheduledjob",
            *SYSTEM_APP_PERMISSIONS,
        ),
    ),
)
ROLES_BY_KEY = {role.key: role for role in ROLES}


class UnknownRole(ValidationError):
    """A role asked for by a name no role has; nothing was changed."""


class RoleRefused(ValidationError):
    """The change of roles is not allowed as asked; nothing was changed."""


def role_named(name: str) -> Role:
    """The role called `name`: its key or its group's name, in any case ("refund_approver", "Refund approver")."""
    wanted = name.strip().casefold()
    for role in ROLES:
        if wanted in (role.key.casefold(), role.name.casefold()):
            return role
    raise UnknownRole(
        UNKNOWN_ROLE % {"name": name, "roles": ", ".join(f"{role.key} ({role.name})" for role in ROLES)},
        code="unknown_role",
    )


def staff_roles_of(*, user: User) -> list[Role]:
    """The roles `user` holds, in the order of ROLES."""
    held = set(user.groups.values_list("name", flat=True))
    return [role for role in ROLES if role.name in held]


# --- The groups ------------------------------------------------------------------------------------------------


def _catalogue(apps: Apps) -> dict[str, tuple[str, str, str]]:
    """Every permission the models of `apps` define (Django's default ones and Meta.permissions), as
    "app_label.codename" -> (app_label, model_name, the permission's name). `apps` is the project's registry, or
    a migration's historical one."""
    found: dict[str, tuple[str, str, str]] = {}
    for model in apps.get_models():
        opts = model._meta
        model_name = str(opts.model_name)
        named = [
            (f"{action}_{model_name}", f"Can {action} {opts.verbose_name_raw}")
            for action in opts.default_permissions
        ]
        for codename, name in [*named, *opts.permissions]:
            found[f"{opts.app_label}.{codename}"] = (opts.app_label, model_name, str(name))
    return found


def role_permissions(role: Role, catalogue: Iterable[str]) -> set[str]:
    """The "app_label.codename" permissions `role` holds, its patterns expanded over `catalogue`."""
    known = set(catalogue)
    wanted: set[str] = set()
    for pattern in role.permissions:
        if pattern.endswith("*"):
            wanted |= {permission for permission in known if permission.startswith(pattern[:-1])}
        elif pattern in known:
            wanted.add(pattern)
    return wanted - set(role.excluded)


def unknown_permissions() -> list[str]:
    """Permissions a role names that no model defines (a typo, a model renamed): the roles' test asserts none."""
    known = _catalogue(global_apps)
    return sorted(
        pattern
        for role in ROLES
        for pattern in role.permissions
        if not pattern.endswith("*") and pattern not in known
    )


def staff_roles_sync(*, apps: Apps = global_apps, using: str = "default") -> None:
    """Create each role's group, and the permissions and content types it needs where they do not exist yet, and
    give the group exactly the permissions this module lists (what it held beyond them is taken away).

    A permission of a model that `apps` does not have yet (a migration's registry, before the model was added) is
    left out, and given by the next sync: every `migrate` ends with one (accounts.apps)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    catalogue = _catalogue(apps)
    wanted = {role.name: role_permissions(role, catalogue) for role in ROLES}
    needed = {permission for permissions in wanted.values() for permission in permissions}
    models = {catalogue[permission][:2] for permission in needed}
    content_types = {
        (ct.app_label, ct.model): ct
        for ct in content_type_model.objects.using(using).filter(
            app_label__in={app for app, _model in models}
        )
    }
    for app_label, model_name in models - set(content_types):
        content_types[(app_label, model_name)] = content_type_model.objects.using(using).create(
            app_label=app_label, model=model_name
        )
    existing = {
        (permission.content_type_id, permission.codename): permission
        for permission in permission_model.objects.using(using).filter(
            content_type__in=list(content_types.values())
        )
    }
    by_name = {}
    for permission in sorted(needed):
        app_label, model_name, name = catalogue[permission]
        content_type = content_types[(app_label, model_name)]
        codename = permission.split(".", 1)[1]
        row = existing.get((content_type.pk, codename))
        if row is None:
            row = permission_model.objects.using(using).create(
                content_type=content_type, codename=codename, name=name[:255]
            )
        by_name[permission] = row
    for role in ROLES:
        group, _created = group_model.objects.using(using).get_or_create(name=role.name)
        group.permissions.set([by_name[permission] for permission in sorted(wanted[role.name])])


# --- Giving and taking roles -------------------------------------------------------------------------------------


def _group(role: Role) -> Group:

    group = Group.objects.filter(name=role.name).first()
    if group is None:  # a database emptied without its post_migrate (e.g. by hand): put the roles back first
        staff_roles_sync()
        group = Group.objects.get(name=role.name)
    return group


def _check_change(*, user: User, actor: Actor) -> None:
    if actor.user is not None and actor.user.pk == user.pk:
        raise RoleRefused(OWN_ROLES, code="own_roles")


def _log(*, user: User, actor: Actor, action: str, roles: Iterable[Role]) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action=action,
        capacity="staff",
        detail=f"{user.email}: {', '.join(role.name for role in roles)}",
    )


@transaction.atomic
def staff_roles_set(*, user: User, roles: Iterable[str], actor: Actor) -> tuple[list[Role], list[Role]]:
    """Make `user`'s roles exactly `roles` (keys or names). Giving a role makes the person staff. Returns the roles
    given and the roles taken away, each change written to the access log. Refused, with nothing changed: an
    unknown role, the actor's own roles, a role given to a deactivated profile."""
    asked = [role_named(name) for name in roles]
    _check_change(user=user, actor=actor)
    held = staff_roles_of(user=user)
    given = [role for role in ROLES if role in asked and role not in held]
    taken = [role for role in ROLES if role in held and role not in asked]
    if given and not user.is_active:
        raise RoleRefused(INACTIVE_PERSON % {"email": user.email}, code="inactive")
    if given:
        user.groups.add(*[_group(role) for role in given])
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        _log(user=user, actor=actor, action="staff roles given", roles=given)
    if taken:
        user.groups.remove(*[_group(role) for role in taken])
        _log(user=user, actor=actor, action="staff roles taken away", roles=taken)
    return given, taken


def staff_role_grant(*, user: User, roles: Iterable[str], actor: Actor) -> list[Role]:
    """Give `user` the `roles` (keys or names) on top of those held; returns the ones newly given."""
    asked = [role_named(name) for name in roles]
    held = staff_roles_of(user=user)
    given, _taken = staff_roles_set(user=user, roles=[role.key for role in {*held, *asked}], actor=actor)
    return given


def staff_role_revoke(*, user: User, roles: Iterable[str], actor: Actor) -> list[Role]:
    """Take the `roles` (keys or names) away from `user`; returns the ones the person held. The person stays
    staff: with no role left, staff administration shows that and opens nothing."""
    asked = [role_named(name) for name in roles]
    kept = [role.key for role in staff_roles_of(user=user) if role not in asked]
    _given, taken = staff_roles_set(user=user, roles=kept, actor=actor)
    return taken
