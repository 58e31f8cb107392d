"""The staff authorization matrix (issue 12, item 1; docs/staff-roles.md): every URL of staff administration and
every admin action, as every staff role and as a staff member with no role, allowed or refused as the table below
says. The URLs and actions are read from the admin site itself (its URL patterns, each ModelAdmin's URLs and
actions), so a new admin page, list or action that the table does not name fails
`test_the_table_names_every_admin_url_and_action` until it is added here, with who may use it.

Outcomes: allowed is 200, or a redirect that is not to the sign-in page (an Assess page's refusal, Django's
"saved" redirect); refused is 403 (Django admin's PermissionDenied; a section: tracs.admin.TracsAdminSite.app_index).
An action is allowed when Django offers it to the person (ModelAdmin.get_actions); a refused action is neither
offered nor run: posting it answers 403 (no access to the list) or Django's "No action selected.".

Cheap by design: one person per role, one small world built once for the module (tests/security/world.py plus
what only staff administration shows), each role's walk in one test; POST cells send an empty form, which an
allowed person gets back with its errors (nothing is written) and a refused one gets 403.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.exceptions import PermissionDenied
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import Http404, HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, resolve, reverse
from django.utils import timezone

from accounts.models import ScheduledJob
from accounts.roles import ROLES
from tests.accounts.factories import UserFactory, actor_for, staff_member
from tests.conftest import sign_in
from tests.security.world import module_world

# --- Who ---------------------------------------------------------------------------------------------------------

REG, CON, ASR, REF = "registration_officer", "consent_pin_officer", "assessor", "refund_approver"
PAY, OBJ, MSG, EXM = "payments_clerk", "objections_officer", "messages_officer", "exemptions_officer"
AUD, ADM = "auditor", "administrator"
NO_ROLE = "no_role"  # staff, holding no role
COLUMNS = [role.key for role in ROLES] + [NO_ROLE]
EVERYONE = frozenset(COLUMNS)  # every staff member, with or without a role
NOBODY: frozenset[str] = frozenset()
# The business roles that read an account's page (accounts/roles.py ACCOUNT_PAGE), and with the auditor.
WORKERS = frozenset({REG, CON, ASR, REF, PAY, OBJ, MSG})
READERS = WORKERS | {AUD}
REFERENCE = READERS | {EXM}  # programs, rates, holidays: every business role
ASSESSED = frozenset({ASR, REF, PAY, OBJ, AUD})  # assessments, notices, the ledger
FILINGS = frozenset({ASR, REF, OBJ, AUD})
DOCUMENTS = frozenset({REG, ASR, OBJ, MSG, AUD})


@dataclass(frozen=True)
class Model:
    """Who opens a model's list, records and their history (`view`), adds (`add`: the add page, GET and POST),
    changes (`change`: POST to a record's page) and deletes (`delete`: the delete page)."""

    view: frozenset[str]
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY


def system(*, add: bool = False, change: bool = False, delete: bool = False) -> Model:
    """A technical section: the administrator's alone, who reads it and does what accounts/roles.py gives
    (SYSTEM_APP_PERMISSIONS: nothing that could take over a person's sign-in)."""
    only = frozenset({ADM})
    return Model(only, only if add else NOBODY, only if change else NOBODY, only if delete else NOBODY)


# --- The table ---------------------------------------------------------------------------------------------------

MODELS: dict[str, Model] = {
    # Identity and sign-in
    "accounts.user": Model(view=frozenset({AUD, ADM}), add=frozenset({ADM}), change=frozenset({ADM})),
    "accounts.accesslogentry": Model(view=frozenset({AUD, ADM})),
    "accounts.outboxemail": Model(view=frozenset({ADM})),
    "accounts.scheduledjob": Model(view=frozenset({ADM})),  # a technical section
    "accounts.pin": Model(view=frozenset({CON, AUD})),
    "accounts.pinattempt": Model(view=frozenset({CON, AUD})),
    "accounts.pinfailurealert": Model(view=frozenset({CON, AUD}), change=frozenset({CON})),
    # Programs and accounts
    "programs.program": Model(view=REFERENCE),  # reference data: changed by superusers only
    "programs.taxrate": Model(view=REFERENCE),
    "programs.holiday": Model(view=REFERENCE),
    "programs.taxpayer": Model(view=READERS, add=frozenset({REG}), change=frozenset({REG})),
    "programs.programaccount": Model(view=READERS, add=frozenset({REG}), change=frozenset({REG})),
    "programs.accountchange": Model(view=READERS),
    "programs.registration": Model(view=frozenset({REG, AUD})),
    # Dye sites: entered (a paper application) and kept by the registration officer, read by the assessor.
    "programs.dyesite": Model(view=frozenset({REG, ASR, AUD}), add=frozenset({REG}), change=frozenset({REG})),
    "programs.document": Model(view=DOCUMENTS),
    "programs.message": Model(view=frozenset({MSG, AUD}), add=frozenset({MSG}), change=frozenset({MSG})),
    # The exemption registry (AFFB, TEFU, carbon levy exemption certificates)
    "programs.exemptionholder": Model(
        view=frozenset({EXM, AUD}), add=frozenset({EXM}), change=frozenset({EXM})
    ),
    "programs.exemptioncertificate": Model(
        view=frozenset({EXM, AUD}), add=frozenset({EXM}), change=frozenset({EXM})
    ),
    "programs.exemptionimport": Model(view=frozenset({EXM, AUD})),
    # Consents and representatives
    "consent.consent": Model(view=frozenset({CON, AUD}), add=frozenset({CON}), change=frozenset({CON})),
    "consent.grant": Model(view=READERS),
    # Returns and claims
    "filings.fueltaxreturn": Model(view=FILINGS),
    "filings.claim": Model(view=FILINGS),
    # Marked-fuel monthly reports: processed (or returned to the seller) by the assessor.
    "filings.markedfuelreport": Model(view=frozenset({ASR, AUD})),
    # Dye sites' monthly reports (AT4984, AT366): processed by the assessor.
    "filings.dyestockreport": Model(view=frozenset({ASR, AUD})),
    "filings.litresdyedreport": Model(view=frozenset({ASR, AUD})),
    # SFTP keys of marked-fuel accounts: a way into an account, kept with access (consents, grants, PINs).
    "filings.sftpkey": Model(view=frozenset({CON, AUD})),
    # Marked-fuel sellers' records (filings/sales): read only, by the exemptions officer beside the registry.
    **{
        f"filings.{name}": Model(view=frozenset({EXM, AUD}))
        for name in ("ingestion", "sale", "movement", "inventorycount", "rejectedrow")
    },
    # ... and the sales by the refund approver too, beside the refund cycle's claims they were refunded by.
    "filings.sale": Model(view=frozenset({REF, EXM, AUD})),
    # Every seller's inventory variances (a page of computed lines): beside the counts, and the reports processed.
    "filings.inventoryvariance": Model(view=frozenset({ASR, EXM, AUD})),
    # Assessments, payments and refunds
    "assessments.returntoassess": Model(view=frozenset({ASR, AUD})),
    "assessments.tourismlevyreturntoassess": Model(view=frozenset({ASR, AUD})),
    "assessments.claimtoassess": Model(view=frozenset({ASR, AUD})),
    "assessments.assessment": Model(view=ASSESSED),
    "assessments.claimassessment": Model(view=ASSESSED),
    "assessments.notice": Model(view=ASSESSED),
    "assessments.ledgertransaction": Model(view=ASSESSED),
    "assessments.payment": Model(view=frozenset({PAY, AUD}), add=frozenset({PAY})),  # never changed
    "assessments.refund": Model(view=frozenset({ASR, REF, PAY, AUD})),
    "assessments.refundpaymentfile": Model(view=frozenset({REF, PAY, AUD})),
    # The marked-fuel refund cycle: its runs and per-seller claims, kept by the refund approver who reruns it.
    "assessments.cyclerun": Model(view=frozenset({REF, AUD})),
    "assessments.cycleclaim": Model(view=frozenset({REF, AUD})),
    "assessments.objection": Model(view=frozenset({OBJ, AUD})),
    "assessments.waiverrequest": Model(view=frozenset({OBJ, AUD})),
    # The technical sections
    "auth.group": system(),  # read only: roles are defined in accounts/roles.py
    "account.emailaddress": system(change=True),
    "otp_totp.totpdevice": system(),  # reset with the user list's identity-checked action instead
    "otp_static.staticdevice": system(),
    "axes.accessattempt": system(delete=True),  # deleting the attempt lifts a lockout
    "axes.accesslog": system(delete=True),
    "axes.accessfailurelog": system(delete=True),
    "sites.site": system(change=True),
    "socialaccount.socialapp": system(add=True, change=True),
    "socialaccount.socialaccount": system(delete=True),  # unlinks a person's single sign-on
    "socialaccount.socialtoken": system(delete=True),
}

# The pages a ModelAdmin adds (get_urls), by URL name: the method the page takes and who may use it.
PAGES: dict[str, tuple[str, frozenset[str]]] = {
    "accounts_pin_letter": ("get", frozenset({CON})),  # the PIN in clear: not for readers
    "auth_user_password_change": ("get", frozenset({ADM})),
    "programs_document_file": ("get", DOCUMENTS),
    "assessments_returntoassess_assess": ("post", frozenset({ASR})),
    "assessments_returntoassess_reassess": ("post", frozenset({ASR})),
    "assessments_tourismlevyreturntoassess_assess": ("post", frozenset({ASR})),
    "assessments_tourismlevyreturntoassess_reassess": ("post", frozenset({ASR})),
    "assessments_claimtoassess_assess": ("post", frozenset({ASR})),
    "assessments_notice_pdf": ("get", ASSESSED),
    "assessments_payment_import": ("get", frozenset({PAY})),
    "programs_exemptioncertificate_import": ("get", frozenset({EXM})),
    "assessments_refundpaymentfile_download": ("get", frozenset({PAY})),  # whole bank account numbers
    "assessments_cyclerun_run": ("get", frozenset({REF})),  # a rerun of a past claim period
    "filings_inventoryvariance_excel": ("get", frozenset({ASR, EXM, AUD})),  # the variances page's selection
    "assessments_objection_decide": ("post", frozenset({OBJ})),
    "assessments_objection_document": ("get", frozenset({OBJ, AUD})),
    "assessments_waiverrequest_decide": ("post", frozenset({OBJ})),
    "assessments_waiverrequest_document": ("get", frozenset({OBJ, AUD})),
    # A person's authenticator key and its QR code are shown to nobody (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    "otp_totp_totpdevice_config": ("get", NOBODY),
    "otp_totp_totpdevice_qrcode": ("get", NOBODY),
}

# Every action of every ModelAdmin, "app_label.model.action": who is offered it. Django's delete_selected is
# offered to whoever may delete: no role deletes a business record.
ACTIONS: dict[str, frozenset[str]] = {
    "accounts.user.reset_two_factor": frozenset({ADM}),
    "accounts.pin.cancel_pins": frozenset({CON}),
    "accounts.pinfailurealert.mark_handled": frozenset({CON}),
    "programs.programaccount.close_accounts": frozenset({REG}),
    "programs.programaccount.reopen_accounts": frozenset({REG}),
    "programs.programaccount.transfer_accounts": frozenset({REG}),
    "programs.programaccount.issue_enrolment_pin": frozenset({CON}),
    "programs.registration.approve_registrations": frozenset({REG}),
    "programs.registration.reject_registrations": frozenset({REG}),
    "programs.registration.request_information": frozenset({REG}),
    "programs.registration.issue_letters": frozenset({REG}),
    "consent.consent.approve_consents": frozenset({CON}),
    "consent.consent.reject_consents": frozenset({CON}),
    "consent.consent.revoke_consents": frozenset({CON}),
    "consent.grant.revoke_grants": frozenset({CON}),
    "filings.fueltaxreturn.move_to_in_review": frozenset({ASR}),
    "filings.fueltaxreturn.move_back_to_received": frozenset({ASR}),
    "filings.claim.move_to_in_review": frozenset({ASR}),
    "filings.claim.move_back_to_received": frozenset({ASR}),
    "filings.markedfuelreport.move_to_in_review": frozenset({ASR}),
    "filings.markedfuelreport.move_back_to_received": frozenset({ASR}),
    "filings.markedfuelreport.process_reports": frozenset({ASR}),
    "filings.markedfuelreport.return_reports": frozenset({ASR}),
    **{
        f"filings.{model}.{action}": frozenset({ASR})
        for model in ("dyestockreport", "litresdyedreport")
        for action in ("move_to_in_review", "move_back_to_received", "process_reports")
    },
    "filings.sftpkey.approve_keys": frozenset({CON}),
    "filings.sftpkey.revoke_keys": frozenset({CON}),
    "assessments.returntoassess.assess_selected": frozenset({ASR}),
    "assessments.tourismlevyreturntoassess.assess_selected": frozenset({ASR}),
    "assessments.claimtoassess.assess_selected": frozenset({ASR}),
    "assessments.refund.approve_selected": frozenset({REF}),
    "assessments.refund.cancel_selected": frozenset({REF}),
    "assessments.objection.review_start": frozenset({OBJ}),
    "assessments.waiverrequest.review_start": frozenset({OBJ}),
    "account.emailaddress.make_verified": frozenset({ADM}),
    "axes.accessattempt.cleanup_expired_attempts": frozenset({ADM}),
    **{f"{label}.delete_selected": access.delete for label, access in MODELS.items()},
}

# The site's own pages: each with the method it is walked with and who may use it.
SECTION_ROLES = {
    "accounts": frozenset({CON, AUD, ADM}),
    "programs": REFERENCE,
    "consent": READERS,
    "filings": FILINGS | {CON, EXM},
    "assessments": ASSESSED,
    **{
        label: frozenset({ADM})
        for label in ("auth", "account", "axes", "otp_static", "otp_totp", "sites", "socialaccount")
    },
}
SITE: dict[str, tuple[str, frozenset[str]]] = {
    "index": ("get", EVERYONE),  # a staff member with no role is told so there
    "login": ("get", EVERYONE),  # signed in already: on to the index
    "password_change": ("get", EVERYONE),
    "password_change_done": ("get", EVERYONE),
    "jsi18n": ("get", EVERYONE),
    "logout": ("post", EVERYONE),
    **{f"app_list:{label}": ("get", roles) for label, roles in SECTION_ROLES.items()},
    # Autocomplete searches the model the field points to: whoever may view it.
    "autocomplete:programs.programaccount.taxpayer": ("get", READERS),
    "autocomplete:consent.consent.taxpayer": ("get", READERS),
    "autocomplete:programs.message.account": ("get", READERS),
    "autocomplete:programs.exemptioncertificate.holder": ("get", frozenset({EXM, AUD})),
}


# --- The admin site, as it is ------------------------------------------------------------------------------------

STANDARD = ("changelist", "add", "change", "history", "delete")


def _registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def admin_urls() -> dict[str, tuple[str, str]]:
    """Every named URL of every ModelAdmin: name -> (model label, kind), kind one of STANDARD or "page"."""
    found = {}
    for model, model_admin in _registry():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        for pattern in model_admin.get_urls():
            if pattern.name is None:  # Django's redirect from <id>/ to <id>/change/
                continue
            kind = next((kind for kind in STANDARD if pattern.name == f"{info}_{kind}"), "page")
            found[pattern.name] = (model._meta.label_lower, kind)
    return found


def url_parameters() -> dict[str, list[str]]:
    """The parameters each ModelAdmin URL takes, by name (a page with none, such as an import, gets none)."""
    return {
        pattern.name: re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        for _model, model_admin in _registry()
        for pattern in model_admin.get_urls()
        if pattern.name
    }


def site_urls() -> list[str]:
    """The site's own named URLs (the index, sign-in, sections, autocomplete ...), one row per section and per
    autocomplete field."""
    rows = []
    for pattern in admin.site.get_urls():
        if not isinstance(pattern, URLPattern) or pattern.name is None:
            continue
        if pattern.name == "app_list":
            rows += [
                f"app_list:{label}" for label in sorted({m._meta.app_label for m in admin.site._registry})
            ]
        elif pattern.name == "autocomplete":
            rows += [
                f"autocomplete:{model._meta.label_lower}.{name}"
                for model, model_admin in _registry()
                for name in model_admin.autocomplete_fields
            ]
        else:
            rows.append(pattern.name)
    return rows


def admin_actions() -> list[str]:
    return [
        f"{model._meta.label_lower}.{name}"
        for model, model_admin in _registry()
        for _function, name, _description in model_admin._get_base_actions()
    ]


def test_the_table_names_every_admin_url_and_action():
    """A new admin URL, page or action is placed in the table on purpose: who may use it."""
    urls = admin_urls()
    assert sorted({label for label, _kind in urls.values()} ^ set(MODELS)) == [], "teach MODELS these models"
    pages = {name for name, (_label, kind) in urls.items() if kind == "page"}
    assert sorted(pages ^ set(PAGES)) == [], "teach PAGES these pages (method, who)"
    assert sorted(set(site_urls()) ^ set(SITE)) == [], "teach SITE these URLs"
    assert sorted(set(admin_actions()) ^ set(ACTIONS)) == [], "teach ACTIONS these actions"


# --- The cells ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One row of the matrix: what is asked (`key`), how, and who may."""

    key: str
    method: str
    allowed: frozenset[str]
    url_name: str = ""
    model: str = ""
    action: str = ""
    query: dict = field(default_factory=dict)


def cells() -> list[Cell]:
    rows = []
    for name, (label, kind) in sorted(admin_urls().items()):
        access = MODELS[label]
        if kind == "page":
            method, allowed = PAGES[name]
            rows.append(Cell(name, method, allowed, url_name=name, model=label))
            continue
        opens = access.view | access.change
        per_kind = {
            "changelist": [("get", opens)],
            "add": [("get", access.add), ("post", access.add)],
            "change": [("get", opens), ("post", access.change)],
            "history": [("get", opens)],
            "delete": [("get", access.delete)],
        }[kind]
        rows += [
            Cell(f"{name} {method.upper()}", method, allowed, url_name=name, model=label)
            for method, allowed in per_kind
        ]
    for key in site_urls():
        method, allowed = SITE[key]
        rows.append(Cell(f"admin:{key} {method.upper()}", method, allowed, url_name=key))
    for key in admin_actions():
        label = key.rsplit(".", 1)[0]
        rows.append(Cell(f"action {key}", "post", ACTIONS[key], model=label, action=key.rsplit(".", 1)[1]))
    return rows


CELLS = cells()
PARAMETERS = url_parameters()
ROWS = len(CELLS)
CELL_COUNT = ROWS * len(COLUMNS)
DENIALS = sum(len(COLUMNS) - len(cell.allowed) for cell in CELLS)


def test_the_matrix_size():
    """The figures docs/staff-roles.md quotes: rows x roles, and how many of those cells are refusals."""
    print(
        f"staff matrix: {ROWS} URLs and actions x {len(COLUMNS)} roles = {CELL_COUNT} cells, {DENIALS} refused"
    )
    assert ROWS > 300
    assert CELL_COUNT == ROWS * len(COLUMNS)
    assert set(COLUMNS) == {REG, CON, ASR, REF, PAY, OBJ, MSG, EXM, AUD, ADM, NO_ROLE}, (
        "teach the table the new role"
    )
    assert DENIALS > CELL_COUNT // 2  # least privilege: most of staff administration is closed to each role
    for column in COLUMNS:
        assert any(column not in cell.allowed for cell in CELLS), column


# --- The world ---------------------------------------------------------------------------------------------------


def _admin_world(world: dict) -> dict:
    """What only staff administration shows, beside the portal matrix's world: a refund issued into a closed
    payment file, a payment, a PIN with its entries and an alert, a registration to review, a consent to review,
    an account change, the exemption registry, the libraries' system rows; and the people, one per role."""
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice

    from accounts.models import Pin, PinAttempt, PinFailureAlert
    from accounts.services import email_queue
    from assessments import claims, refunds
    from assessments.models import Payment
    from assessments.payments import payment_record
    from consent.models import Consent
    from filings.claims import ClaimLineInput, claim_submit, submission_token_new
    from programs.models import AccountChange, Holiday
    from tests.assessments.claim_factories import mailing_address
    from tests.assessments.factories import acting
    from tests.consent.factories import ConsentFactory
    from tests.programs.registration_factories import registration_pending

    account, owner = world["account"], world["owner"]
    job = acting()
    mailing_address(account)
    bought = timezone.localdate() - timedelta(days=20)
    big = claim_submit(
        account=account,
        kind="fuel_tax_refund",
        lines=[
            ClaimLineInput(
                fuel="clear_gasoline", litres="20000", purchase_date=bought, reason="exported_bulk"
            )
        ],
        submission_token=submission_token_new(),
        actor=actor_for(owner).acting_for(capacity="owner"),
        certified_name="Owner",
        certified_capacity="Owner",
    )
    refund = refunds.refund_prepare(
        claim_assessment=claims.claim_assessment_make(claim=big, actor=job), actor=job
    )
    # A tourism levy return in its assessment queue.
    from tests.filings.tourism_levy_factories import establishment, file_levy_return

    file_levy_return(
        account=establishment(taxpayer=account.taxpayer), period="2024-01", user=owner, gross="0"
    )
    while refund.status == refund.Status.PENDING:  # once, or twice above the four-eyes amount
        refund = refunds.refund_approve(
            refund=refund, actor=acting(UserFactory(is_staff=True, is_superuser=True))
        )
    refunds.refunds_issue(actor=job)
    payment_record(
        account=account,
        amount=Decimal("10.00"),
        received_on=timezone.localdate(),
        method=Payment.Method.ONLINE_BANKING,
        reference="MATRIX-1",
        actor=acting(UserFactory(is_staff=True, is_superuser=True)),
    )
    Pin.objects.create(
        purpose=Pin.Purpose.ENROLMENT,
        account_number=account.number,
        pin_hash="unused",
        expires_at=timezone.now() + timedelta(days=30),
    )
    PinAttempt.objects.create(
        user=owner, account_number=account.number, succeeded=False, ip_address="192.0.2.9"
    )
    PinFailureAlert.objects.create(
        account_number=account.number,
        day=timezone.localdate(),
        failures=10,
        people=3,
        last_failure_at=timezone.now(),
    )
    registration_pending(registrant=UserFactory())
    ConsentFactory(taxpayer=world["taxpayer"], status=Consent.Status.RECEIVED)
    AccountChange.objects.create(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.ADDED,
        after={"name": "C"},
    )
    Holiday.objects.get_or_create(date=date(2026, 7, 1), defaults={"name": "Canada Day"})
    email_queue(to=[owner.email], subject="Matrix", body="Matrix", purpose="message")
    attempt = {
        "user_agent": "matrix",
        "ip_address": "192.0.2.9",
        "username": owner.email,
        "http_accept": "*/*",
    }
    AccessAttempt.objects.create(
        **attempt, path_info="/auth/login/", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**attempt, path_info="/auth/login/")
    AccessFailureLog.objects.create(**attempt, path_info="/auth/login/", locked_out=False)
    StaticDevice.objects.create(user=owner, name="backup")
    # Exemption holders, certificates and the import that brought them: the shared world imports them, for the
    # marked-fuel seller's sales (tests/security/world.py).
    _marked_fuel_records()
    _refund_cycle_run(job)
    app = SocialApp.objects.create(provider="openid_connect", name="Alberta.ca Account", client_id="tracs")
    social = SocialAccount.objects.create(user=owner, provider="openid_connect", uid="matrix-1")
    SocialToken.objects.create(app=app, account=social, token="opaque")  # noqa: S106 - a test token
    people: dict[str, Any] = {key: staff_member(key) for key in COLUMNS if key != NO_ROLE}
    people[NO_ROLE] = UserFactory(is_staff=True)
    return {"people": people, "objects": _objects(world)}


def _marked_fuel_records() -> None:
    """A seller's sale (and a rejected one), movement and inventory count, through the one ingestion service."""
    from filings.sales.ingestion import ingestion_rows
    from tests.filings import sales_helpers as tefs

    account = tefs.seller()
    files = {
        "sales": [tefs.sale_row(account), tefs.sale_row(account, line=2, litres="0")],
        "movements": [tefs.movement_row(account)],
        "inventory": [tefs.inventory_row(account)],
    }
    for record_type, rows in files.items():
        ingestion_rows(
            account=account,
            record_type=record_type,
            month=tefs.OCTOBER,
            rows=[tefs.web_row(row) for row in rows],
            actor=actor_for(None),
        )


def _refund_cycle_run(job) -> None:
    """The last ended claim period's refund cycle, with a seller's sale of 2019 accepted in it: a run, its claim."""
    from assessments.cycles import services
    from tests.assessments.cycle_helpers import during, sale, tefs_seller

    period = services.latest_ended_period(today=timezone.localdate())
    sale(tefs_seller("Matrix Marked Fuels Ltd."), accepted=during(period, 2), sale_date=date(2019, 5, 1))
    services.cycle_run(period=period, actor=job)


def _objects(world: dict) -> dict[str, object]:
    """The record each model's URLs name: the first in its admin's own list, picked where the kind matters (a
    consent still in review can be changed; the owner, not a staff member, on the users' pages)."""
    from consent.models import Consent
    from filings.models import FuelTaxReturn

    request: Any = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    picks = {
        "consent.consent": lambda rows: rows.filter(status=Consent.Status.RECEIVED),
        "accounts.user": lambda rows: rows.filter(pk=world["owner"].pk),
        "assessments.returntoassess": lambda rows: rows.filter(status=FuelTaxReturn.Status.RECEIVED),
        "assessments.tourismlevyreturntoassess": lambda rows: rows.filter(
            status=FuelTaxReturn.Status.RECEIVED
        ),
        "assessments.claimtoassess": lambda rows: rows.filter(status=FuelTaxReturn.Status.RECEIVED),
        "assessments.refundpaymentfile": lambda rows: rows.filter(closed_at__isnull=False),
        "otp_totp.totpdevice": lambda rows: rows.filter(user=world["owner"]),
    }
    found = {}
    for model, model_admin in _registry():
        label = model._meta.label_lower
        rows = model_admin.get_queryset(request)
        first = picks.get(label, lambda rows: rows)(rows).order_by("pk").first()
        assert first is not None, f"the matrix's world has no {label}: add one to _admin_world"
        found[label] = first
    return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with module_world(django_db_blocker, tmp_path_factory) as built:
        built.update(_admin_world(built))
        yield built


@pytest.fixture(autouse=True)
def _cell(db, world, settings):
    settings.MEDIA_ROOT = world["media_root"]
    # The module's world outlives a one-minute job's period: without a fresh success each scheduled job turns
    # stale while the matrix walks, and its warning on admin pages would read as an action's answer.
    ScheduledJob.objects.update(last_succeeded_at=timezone.now(), stale_alerted_at=None)


def _kwargs(cell: Cell, world: dict) -> dict:
    """The URL's arguments, from the world's records."""
    ids = world["ids"]
    if cell.url_name.startswith("app_list:"):
        return {"app_label": cell.url_name.split(":", 1)[1]}
    if not cell.model:
        return {}
    obj = world["objects"][cell.model]
    named = {
        "programs_document_file": {"object_id": ids["document_id"], "file_id": ids["file_id"]},
        "assessments_objection_document": {
            "object_id": ids["objection_id"],
            "document_id": ids["objection_document_id"],
        },
        "assessments_waiverrequest_document": {
            "object_id": ids["waiver_id"],
            "document_id": ids["waiver_document_id"],
        },
        "assessments_notice_pdf": {"notice_id": ids["notice_id"]},
        "assessments_refundpaymentfile_download": {"file_id": obj.pk},
        "auth_user_password_change": {"id": obj.pk},
        "otp_totp_totpdevice_config": {"pk": obj.pk},
        "otp_totp_totpdevice_qrcode": {"pk": obj.pk},
    }
    if cell.url_name in named:
        return named[cell.url_name]
    parameters = PARAMETERS[cell.url_name]
    unknown = set(parameters) - {"object_id"}
    assert not unknown, f"teach the matrix how to fill {unknown} in {cell.url_name} (_kwargs)"
    return {"object_id": obj.pk} if parameters else {}


def _url(cell: Cell, world: dict) -> tuple[str, dict]:
    if cell.url_name.startswith("app_list:"):
        return reverse("admin:app_list", kwargs=_kwargs(cell, world)), {}
    if cell.url_name.startswith("autocomplete:"):
        label, field_name = cell.url_name.split(":", 1)[1].rsplit(".", 1)
        app_label, model_name = label.split(".")
        query = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": "Matrix"}
        return reverse("admin:autocomplete"), query
    return reverse(f"admin:{cell.url_name}", kwargs=_kwargs(cell, world)), {}


@contextmanager
def _connection_kept():
    """Closing a response (a download) sends request_finished, which would close the database connection and end
    the module's transaction: the test client keeps it open the same way."""
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_finished.connect(close_old_connections)


def _signed_in(user):
    """`user` as the middleware leaves them: signed in and past two-factor (OTPMiddleware's is_verified)."""
    user.otp_device = user.totpdevice_set.get(confirmed=True)
    user.is_verified = lambda: True
    return user


def _ask(
    method: str, path: str, query: dict, user, *, render: bool = False
) -> tuple[HttpResponse | None, str, list[str]]:
    """Call the view `path` resolves to as `user`, as the request reaches it past the middleware (session,
    messages, CSRF already checked). Who may see a page is decided before it is rendered, so pages are rendered
    only with `render` (the auditor's walk: the read-only version of nearly every business page); each admin's
    own tests and the browser journey render the rest. Returns the response, the outcome and the messages."""
    factory = RequestFactory()
    request: Any = factory.get(path, query) if method == "get" else factory.post(path, query)
    request.user = user
    request.session = SessionStore()
    request._messages = default_storage(request)
    request._dont_enforce_csrf_checks = True
    match = resolve(path)
    try:
        response = match.func(request, *match.args, **match.kwargs)
    except PermissionDenied:
        return None, "refused", []
    except Http404:
        return None, "answered 404", []
    said = [str(message) for message in request._messages]
    if render and hasattr(response, "render"):
        response.render()
    response.close()
    if response.status_code == 403:
        return response, "refused", said
    if response.status_code == 200:
        return response, "allowed", said
    if response.status_code == 302 and "/auth/login/" not in response["Location"]:
        return response, "allowed", said
    return response, f"answered {response.status_code}", said


def _action_outcome(cell: Cell, world: dict, key: str) -> str:
    """Offered (the person opens the list and Django offers the action: ModelAdmin.get_actions) or not; when not,
    posting it runs nothing: 403 (no access to the list), "No action selected." (other actions are offered), or
    the list shown again (none is)."""
    record = world["objects"][cell.model]
    model_admin = admin.site._registry[type(record)]
    user = world["people"][key]
    request = RequestFactory().post("/admin/")
    request.user = user
    actions = model_admin.get_actions(request) if model_admin.has_view_or_change_permission(request) else {}
    if cell.action in actions:
        return "allowed"
    opts = record._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    posted = {"action": cell.action, "_selected_action": [record.pk], "index": "0"}
    response, outcome, said = _ask("post", changelist, posted, user)
    if outcome == "refused":
        return "refused"
    if response is not None and response.status_code == 302 and said == ["No action selected."]:
        return "refused"
    if response is not None and response.status_code == 200 and not actions and not said:
        return "refused"
    return f"not offered, but posting it answered {outcome} {said}"


def _walk(key: str, world: dict) -> list[str]:
    user = _signed_in(world["people"][key])
    wrong = []
    with _connection_kept():
        for cell in CELLS:
            expected = "allowed" if key in cell.allowed else "refused"
            if cell.action:
                got = _action_outcome(cell, world, key)
            else:
                url, query = _url(cell, world)
                _response, got, _said = _ask(cell.method, url, query, user, render=key == AUD)
            if got != expected:
                wrong.append(f"{cell.key} as {key}: expected {expected}, {got}")
    return wrong


def test_a_role_is_refused_through_the_whole_stack(world):
    """The walk calls the views past the middleware; here the same answers come through all of it (sign-in,
    two-factor, the 403 page), for one refusal and one page of each kind."""
    client = sign_in(Client(), world["people"][AUD])
    refund = world["objects"]["assessments.refund"]
    assert client.get(reverse("admin:assessments_refund_change", args=[refund.pk])).status_code == 200
    assert client.post(reverse("admin:assessments_refund_change", args=[refund.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_outboxemail_changelist")).status_code == 403
    assert client.get(reverse("admin:app_list", args=["axes"])).status_code == 403
    nobody = sign_in(Client(), world["people"][NO_ROLE])
    assert nobody.get(reverse("admin:index")).status_code == 200
    assert nobody.get(reverse("admin:assessments_refund_changelist")).status_code == 403
    assert nobody.post(reverse("admin:logout")).status_code == 200


@pytest.mark.parametrize("key", COLUMNS)
def test_each_role_reaches_what_the_table_says_and_nothing_else(key, world):
    wrong = _walk(key, world)
    assert not wrong, f"{len(wrong)} of {ROWS} cells differ:\n" + "\n".join(wrong)


# --- The documentation -------------------------------------------------------------------------------------------

DOC = "docs/staff-roles.md"
START, END = "<!-- staff-matrix:start -->", "<!-- staff-matrix:end -->"
SHORT = {
    REG: "reg",
    CON: "con",
    ASR: "asr",
    REF: "ref",
    PAY: "pay",
    OBJ: "obj",
    MSG: "msg",
    EXM: "exm",
    AUD: "aud",
    ADM: "adm",
}


def documented_table() -> str:
    """The table as docs/staff-roles.md shows it: per model who views (v), adds (a), changes (c) and deletes
    (d); the pages of their own and the actions with who may use them; the size of the matrix."""
    roles = [key for key in COLUMNS if key != NO_ROLE]
    lines = [
        f"{ROWS} URLs and actions x {len(COLUMNS)} roles (every staff role, and staff with no role) = {CELL_COUNT} cells, "
        f"{DENIALS} of them refusals. Staff with no role reach only the index, their own password and sign-out.",
        "",
        "| model | " + " | ".join(SHORT[key] for key in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for label, access in MODELS.items():
        marks = []
        for key in roles:
            held = "".join(
                letter
                for letter, who in (
                    ("v", access.view | access.change),
                    ("a", access.add),
                    ("c", access.change),
                    ("d", access.delete),
                )
                if key in who
            )
            marks.append(held or "–")
        lines.append(f"| {label} | " + " | ".join(marks) + " |")
    lines += ["", "| page or action | who |", "|---|---|"]
    entries = [(name, allowed) for name, (_method, allowed) in PAGES.items()]
    entries += [(key, allowed) for key, allowed in ACTIONS.items() if not key.endswith(".delete_selected")]
    for name, allowed in entries:
        who = ", ".join(SHORT[key] for key in roles if key in allowed) or "nobody"
        lines.append(f"| `{name}` | {who} |")
    return "\n".join(lines)


def test_the_documentation_shows_the_tested_table():
    """docs/staff-roles.md's table is this module's: a change here is a change there (paste the block below)."""
    from pathlib import Path

    text = Path(__file__).resolve().parents[2].joinpath(DOC).read_text()
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    expected = documented_table()
    assert found is not None, f"{DOC} lacks the block {START} ... {END}"
    assert found.group(1) == expected, f"replace the block in {DOC} with:\n{START}\n{expected}\n{END}"
