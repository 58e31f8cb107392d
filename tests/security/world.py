"""The world both authorization matrices read (tests/security/test_authorization_matrix.py, the portal's, and
test_staff_matrix.py, staff administration's): one account with its owner, a pending delegate, a second taxpayer,
and one of each thing a URL names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from consent.models import Consent, Grant
from consent.privileges import Privilege
from programs.models import Contact, Program
from programs.services.accounts import account_open, taxpayer_create
from tests.accounts.factories import UserFactory, actor_for
from tests.assessments.factories import acting


@contextmanager
def module_world(django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    """The world, built once for a test module inside a transaction rolled back at its end; each test runs in a
    savepoint inside it (pytest-django's `db`), so what a cell changes (a grant revoked, a contact deleted) is
    undone before the next cell. Building it per cell rendered a notice PDF ~130 times. Its files are kept in a
    folder of its own, which the module's cells read (MEDIA_ROOT)."""
    media_root = str(tmp_path_factory.mktemp("matrix-media"))
    storages = {
        **django_settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(MEDIA_ROOT=media_root, STORAGES=storages),
    ):
        yield {**build_world(), "media_root": media_root}
        transaction.set_rollback(True)


def make_grant(account, user, role, privileges=(), consent=None, status=Grant.Status.ACTIVE, ends_on=None):
    return Grant.objects.create(
        account=account,
        user=user,
        role=role,
        privileges=list(privileges),
        status=status,
        name=user.display_name,
        email=user.email,
        consent=consent,
        ends_on=ends_on,
        activated_at=timezone.now(),
    )


def make_consent(taxpayer, user, privileges, *, expires_on=None):
    return Consent.objects.create(
        taxpayer=taxpayer,
        representative_name=user.display_name,
        representative_email=user.email,
        signer_name="Signer",
        signer_capacity=Consent.SignerCapacity.OWNER,
        signed_on=date(2026, 1, 1),
        privileges=list(privileges),
        all_accounts=True,
        status=Consent.Status.ACTIVE,
        representative=user,
        expires_on=expires_on,
        reviewed_at=timezone.now(),
    )


def build_world() -> dict:
    """One account under test, with its owner, a pending delegate to act on, a second taxpayer, and one of
    each thing a URL names (a return, a claim, a notice with its PDF, a message, a document, an objection, a
    waiver request and their documents, a consent, a contact)."""
    program = Program.objects.get(code="fuel_tax")
    taxpayer = taxpayer_create(legal_name="Matrix Fuels Ltd.", bin="111222333", actor=actor_for(None))
    account = account_open(
        taxpayer=taxpayer, program=program, effective_date=date(2024, 1, 1), actor=actor_for(None)
    )
    other_taxpayer = taxpayer_create(
        legal_name="Elsewhere Energy Inc.", bin="999888777", actor=actor_for(None)
    )
    other_account = account_open(
        taxpayer=other_taxpayer, program=program, effective_date=date(2024, 1, 1), actor=actor_for(None)
    )
    tefs_account = account_open(
        taxpayer=taxpayer,
        program=Program.objects.get(code="tefs"),
        effective_date=date(2024, 1, 1),
        actor=actor_for(None),
    )
    # An establishment of the same taxpayer (tourism levy): its own pages, and the shared upload pages in its format
    tourism_account = account_open(
        taxpayer=taxpayer,
        program=Program.objects.get(code="tourism_levy"),
        effective_date=date(2024, 1, 1),
        actor=actor_for(None),
    )
    owner = UserFactory()
    make_grant(account, owner, Grant.Role.OWNER)
    make_grant(tefs_account, owner, Grant.Role.OWNER)
    make_grant(tourism_account, owner, Grant.Role.OWNER)
    target = Grant.objects.create(
        account=account,
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        status=Grant.Status.PENDING,
        name="Target Person",
        email="target@example.ca",
    )
    world = {
        "account": account,
        "tefs_account": tefs_account,
        "tourism_account": tourism_account,
        "other_account": other_account,
        "owner": owner,
        "target": target,
        "taxpayer": taxpayer,
    }
    world["ids"] = things_named_by_urls(world)
    return world


def things_named_by_urls(world) -> dict:
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from accounts.actors import Actor, Door
    from assessments.models import LedgerTransaction
    from assessments.models_objections import SupportingDocument
    from assessments.objection_filing import Representative, objection_file, waiver_request_file
    from assessments.services.ledger import ledger_post
    from assessments.services.returns import assessment_make, notice_render
    from filings.claims import ClaimLineInput, claim_submit, submission_token_new
    from filings.periods import Period
    from filings.sales.models import Ingestion
    from filings.sales.sftp.models import SftpKey
    from filings.services import return_submit
    from filings.services_tourism_levy import tourism_levy_return_submit
    from filings.tourism_levy import LevyInput
    from programs.services.documents import document_issue
    from programs.services.messages import message_send

    account, owner = world["account"], world["owner"]
    rep = UserFactory()
    consent = make_consent(world["taxpayer"], rep, [Privilege.VIEW_ACCOUNT])
    make_grant(account, rep, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent)
    signed = {
        "certified_name": "Owner",
        "certified_capacity": "Owner",
    }
    signed_by = Actor(user=owner, door=Door.WEB, capacity=Grant.Role.OWNER)
    filed = return_submit(account=account, period_end=date(2024, 2, 29), lines=[], actor=signed_by, **signed)
    nil = return_submit(account=account, period_end=date(2024, 3, 31), lines=[], actor=signed_by, **signed)
    notice = notice_render(assessment_id=assessment_make(tax_return=nil, actor=acting()).pk, actor=acting())
    message = message_send(
        account=account, subject="Matrix notice", body="A notice.", by=None, actor=actor_for(None)
    )
    document = document_issue(
        account=account,
        files=[("letter.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")],
        actor=actor_for(None),
    )
    bought = timezone.localdate() - timedelta(days=30)
    claim = claim_submit(
        account=account,
        kind="fuel_tax_refund",
        lines=[
            ClaimLineInput(fuel="clear_gasoline", litres="100", purchase_date=bought, reason="exported_bulk")
        ],
        submission_token=submission_token_new(),
        actor=signed_by,
        certified_name=signed["certified_name"],
        certified_capacity=signed["certified_capacity"],
    )
    signer = {
        "representative": Representative(name="Owner", position="Owner", address="Edmonton", phone="780"),
        "documents": [],
        "actor": actor_for(owner).acting_for(capacity=Grant.Role.OWNER),
    }
    objection = objection_file(
        account=account,
        against="letter",
        letter_kind="refusal",
        dated_on=timezone.localdate(),
        facts="Matrix objection.",
        **signer,
    )
    penalty = ledger_post(
        account=account,
        period_end=date(2024, 1, 31),
        kind="penalty",
        amount=Decimal("25.00"),
        description="Matrix penalty",
        actor=acting(),
    )
    waiver = waiver_request_file(
        account=account,
        transaction_ids=[penalty.pk],
        amount_requested=penalty.amount,
        period_ends=[penalty.period_end],
        grounds=["hardship"],
        facts="Matrix waiver.",
        **signer,
    )
    supporting = {}
    for key, filing in (("objection", {"objection": objection}), ("waiver", {"waiver_request": waiver})):
        filed_document = SupportingDocument(
            **filing,
            position=1,
            description="Matrix invoice",
            original_name="invoice.pdf",
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            scan_status="not_scanned",
        )
        filed_document.file.save(f"matrix-invoice-{key}.pdf", ContentFile(b"%PDF-"), save=False)
        filed_document.save()
        supporting[key] = filed_document.pk
    assert LedgerTransaction.objects.filter(account=account, kind="penalty").exists()
    sftp_key = SftpKey.objects.create(  # an SFTP key (filings.sales.sftp), made directly, on the seller's TEFS account
        account=world["tefs_account"],
        person=owner,
        name="Matrix server",
        public_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMatrixMatrixMatrixMatrixMatrixMatrixMatrixMa",
        algorithm="ssh-ed25519",
        fingerprint="SHA256:matrix",
        registered_by=owner,
    )
    levy = tourism_levy_return_submit(  # a tourism levy return of the establishment (filings)
        account=world["tourism_account"],
        period=Period.from_key("2024-02"),
        levy_input=LevyInput(gross_revenue="1000", exempt={}, levy_collected="40"),
        actor=signed_by,
        **signed,
    )
    dye = dye_site_things(world["tefs_account"], signed_by)
    return {
        **marked_fuel_things(world["tefs_account"], signed_by),
        **dye,
        "tourism_levy_confirmation_number": levy.confirmation_number,
        "consent_id": consent.pk,
        "contact_id": Contact.objects.create(account=account, name="Carla Contact", phone="780-427-3044").pk,
        "confirmation_number": filed.confirmation_number,
        "message_id": message.pk,
        "document_id": document.pk,
        "file_id": document.files.get().pk,
        "claim_number": claim.confirmation_number,
        "notice_id": notice.pk,
        "objection_id": objection.pk,
        "waiver_id": waiver.pk,
        "objection_document_id": supporting["objection"],
        "waiver_document_id": supporting["waiver"],
        "sftp_key_id": sftp_key.pk,
        "export_id": _sales_summary_export(world["tefs_account"], owner),
        "ingestion_id": Ingestion.objects.create(  # a marked-fuel file, processed (filings.sales)
            account=world["tefs_account"], door="upload", format="csv", file_name="matrix.csv", status="done"
        ).pk,
    }


def _sales_summary_export(account, owner) -> int:
    """A Sales Summary Excel of the seller's TEFS account, ready, with its file (assessments.cycles)."""
    from django.core.files.base import ContentFile

    from assessments.cycles.models import SalesSummaryExport

    export = SalesSummaryExport(
        account=account,
        period_start=date(2024, 2, 19),
        period_end=date(2024, 3, 3),
        requested_by=owner,
        requested_at=timezone.now(),
        status=SalesSummaryExport.Status.READY,
        finished_at=timezone.now(),
    )
    export.file.save("matrix-sales-summary.xlsx", ContentFile(b"PK"), save=False)
    export.save()
    return export.pk


def marked_fuel_things(account, signed_by) -> dict:
    """A marked-fuel seller's things its URLs name: a BFLO, an accepted sale, a rejected one, an accepted fuel movement, a monthly report."""
    from filings.sales.ingestion import ingestion_rows
    from filings.sales.models import Movement, RejectedRow, Sale
    from filings.sales.report import marked_fuel_report_submit
    from programs.models import BulkFuelLocation
    from tests.programs.registry_helpers import registry

    registry()
    BulkFuelLocation.objects.create(
        account=account, number="B7777001", name="Matrix plant", address="Nisku AB"
    )
    row = {
        "record": "sale",
        "sale_date": "2024-03-05",
        "invoice_number": "M-1",
        "line": "1",
        "exemption_number": "F1000001",
        "fuel": "marked_diesel",
        "litres": "100",
        "bflo_number": "B7777001",
    }
    rows = [row, {**row, "invoice_number": "M-2", "exemption_number": "F9999999"}]
    stored = ingestion_rows(
        account=account, record_type="sales", month=date(2024, 3, 1), rows=rows, actor=signed_by
    )
    moved = ingestion_rows(
        account=account,
        record_type="movements",
        month=date(2024, 3, 1),
        rows=[
            {
                "record": "movement",
                "movement": "acquisition",
                "movement_date": "2024-03-02",
                "bflo_number": "B7777001",
                "fuel": "marked_diesel",
                "litres": "1000",
                "counterparty_name": "Matrix Wholesale",
                "counterparty_number": "123456789",
                "document_number": "BOL-M-1",
            }
        ],
        actor=signed_by,
    )
    filed = marked_fuel_report_submit(
        account=account,
        period_end=date(2024, 1, 31),
        certified_name="Owner",
        certified_capacity="Owner",
        actor=signed_by,
    )
    return {
        "sale_id": Sale.objects.get(ingestion=stored).pk,
        "rejected_id": RejectedRow.objects.get(ingestion=stored).pk,
        "movement_id": Movement.objects.get(ingestion=moved).pk,
        "report_number": filed.confirmation_number,
    }


def dye_site_things(account, signed_by) -> dict:
    """A dye site of the TEFS account (filings.views_dye_sites) from January 2024, with its Dye Stock Report of
    February 2024 filed (January's still to file)."""
    from decimal import Decimal

    from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
    from filings.dye_sites import DyedInput, StockInput
    from filings.periods import Period
    from filings.services_dye_sites import dye_report_submit
    from programs.models import BulkFuelLocation, DyeSite

    location = BulkFuelLocation.objects.create(
        account=account, number="B7777002", name="Matrix dye site", address="Nisku AB"
    )
    site = DyeSite.objects.create(
        account=account,
        location=location,
        name="Matrix dye site",
        line1="NW-1-50-25-W4",
        city="Leduc County",
        storage_litres=Decimal(600_000),
        security_features="Fenced",
        supplied_by=["truck"],
        outlets=["bulk_consumers"],
        injector_security="Locked",
        effective_date=date(2024, 1, 1),
    )
    report = dye_report_submit(
        definition=DYE_STOCK_REPORT,
        site=site,
        period=Period.from_key("2024-02"),
        figures=StockInput(opening="10", received="0", used="4", closing="6"),
        certified_name="Matrix Owner",
        certified_capacity="Owner",
        actor=signed_by,
    )
    dye_report_submit(
        definition=LITRES_DYED_REPORT,
        site=site,
        period=Period.from_key("2024-02"),
        figures=DyedInput(litres={"diesel": "1000"}, concentrate_used="4"),
        certified_name="Matrix Owner",
        certified_capacity="Owner",
        actor=signed_by,
    )
    return {"dye_site_id": site.pk, "dye_confirmation_number": report.confirmation_number}
