"""Approval of an online registration (consent.services.registration_approve): in one transaction the taxpayer
(a new BIN when none was given), the program account(s), BFLO numbers for the bulk locations and the
registrant as owner; then the letter job places the approval letter (PDF) in the accounts' documents and
e-mails that it is available. Approving twice opens nothing more."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import decrypt
from accounts.models import AccessLogEntry
from consent import services
from consent.models import Grant
from programs.models import (
    Address,
    BulkFuelLocation,
    Contact,
    DirectDeposit,
    Document,
    DyeSite,
    ProgramAccount,
    Registration,
    Taxpayer,
)
from programs.services import registration_review
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ConsentFactory, ProgramAccountFactory, TaxpayerFactory
from tests.programs.registration_factories import (
    BANK,
    BUSINESS,
    CONTACTS,
    DYE_SITES,
    LOCATIONS,
    registration_draft,
    registration_pending,
)

pytestmark = pytest.mark.django_db

BFLO = re.compile(r"^B\d{7}$")


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Riley Registrant", email="riley@example.ca")


@pytest.fixture
def staff(db):
    return UserFactory(full_name="Sam Staff", is_staff=True, is_superuser=True)


def _approve(registration, staff, capture):
    with capture(execute=True):
        approved = services.registration_approve(registration=registration, by=staff, actor=actor_for(staff))
    approved.refresh_from_db()
    return approved


def test_approval_opens_everything_and_places_the_letter(
    registrant, staff, django_capture_on_commit_callbacks
):
    registration = registration_pending(registrant=registrant)
    mail.outbox.clear()

    registration = _approve(registration, staff, django_capture_on_commit_callbacks)

    # The taxpayer, with a new BIN from the sequence.
    taxpayer = registration.taxpayer
    assert (taxpayer.legal_name, taxpayer.kind) == (BUSINESS["legal_name"], Taxpayer.Kind.BUSINESS)
    assert re.fullmatch(r"\d{9}", taxpayer.bin)
    assert int(taxpayer.bin) >= 700000001
    # A Fuel Tax account, and a TEFS account because the business sells marked fuel.
    accounts = list(registration.accounts.select_related("program").order_by("number"))
    assert [a.program.code for a in accounts] == ["fuel_tax", "tefs"]
    assert [a.number for a in accounts] == [f"{taxpayer.bin}-01-001", f"{taxpayer.bin}-02-001"]
    for account in accounts:
        assert account.taxpayer == taxpayer
        assert account.trade_name == BUSINESS["operating_name"]
        assert account.effective_date == BUSINESS["start_date"]
        mailing = Address.objects.get(account=account, kind=Address.Kind.MAILING)
        assert (mailing.line1, mailing.postal_code) == (BUSINESS["line1"], "T4N 4A1")
        assert [(c.name, c.is_primary) for c in Contact.objects.filter(account=account)] == [
            (CONTACTS[0]["name"], True),
            (CONTACTS[1]["name"], False),
        ]
        deposit = DirectDeposit.objects.get(account=account)
        assert (deposit.institution_number, deposit.transit_number, deposit.account_number_last4) == (
            "001",
            "12345",
            "4321",
        )
        assert decrypt(deposit.account_number_encrypted) == BANK["account_number"]
    # BFLO numbers, on the TEFS account (its monthly reports name them).
    bflos = list(BulkFuelLocation.objects.filter(account=accounts[1]).order_by("number"))
    assert [b.name for b in bflos] == [row["name"] for row in LOCATIONS]
    assert all(BFLO.fullmatch(b.number) for b in bflos)
    assert not BulkFuelLocation.objects.filter(account=accounts[0]).exists()
    assert [loc.bflo for loc in registration.locations.order_by("position")] == bflos
    # The registrant is an owner of both.
    for account in accounts:
        grant = Grant.objects.get(account=account, user=registrant)
        assert (grant.role, grant.status, grant.created_by) == (Grant.Role.OWNER, Grant.Status.ACTIVE, staff)
    # The registration is approved, by whom, with its history.
    assert (registration.status, registration.reviewed_by) == (Registration.Status.APPROVED, staff)
    assert [e.kind for e in registration.events.all()][-2:] == ["approved", "letter_issued"]
    # The approval letter (PDF) is in each account's documents, issued by TRA.
    assert registration.letter_issued_at is not None
    for account in accounts:
        document = Document.objects.get(account=account)
        assert (document.document_type, document.origin) == (Document.Type.TRA_LETTER, Document.Origin.TRA)
        assert registration.reference_number in document.description
        (file,) = document.files.all()
        with file.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert file.original_name == f"approval-letter-{registration.reference_number}.pdf"
    # The e-mail says the letter is available; it carries no bank details.
    (email,) = [m for m in mail.outbox if "approval letter is available" in m.subject]
    assert email.to == [registrant.email]
    assert taxpayer.bin in email.body
    assert accounts[0].number in email.body
    assert BANK["account_number"] not in email.body
    assert AccessLogEntry.objects.filter(actor=staff, action="registration approved").exists()
    assert (
        AccessLogEntry.objects.filter(
            actor=staff, action="registrant made owner on approval of the registration"
        ).count()
        == 2
    )


def test_the_letter_job_places_the_reviewers_letter_through_the_door_of_a_job(
    registrant, staff, django_capture_on_commit_callbacks
):
    """The job acts on its own but for the reviewer whose approval it completes: the log names them, with the
    job's door and no address."""
    registration = _approve(
        registration_pending(registrant=registrant), staff, django_capture_on_commit_callbacks
    )

    entries = AccessLogEntry.objects.filter(action="document issued by TRA")
    assert {(e.actor, e.door, e.path, e.ip_address, e.capacity) for e in entries} == {
        (staff, "job", "registration letter", None, "staff")
    }
    assert sorted(e.account_number for e in entries) == sorted(
        registration.accounts.values_list("number", flat=True)
    )
    approved = AccessLogEntry.objects.get(action="registration approved")
    assert (approved.actor, approved.door, approved.on_behalf_of) == (
        staff,
        "web",
        f"Chinook Bulk Fuels Ltd. (registration {registration.reference_number})",
    )


def test_the_letter_names_the_bin_accounts_and_bflo_numbers(
    registrant, staff, django_capture_on_commit_callbacks
):
    registration = _approve(
        registration_pending(registrant=registrant), staff, django_capture_on_commit_callbacks
    )

    html = registration_review.registration_letter_html(registration=registration)

    assert registration.taxpayer.bin in html
    assert registration.reference_number in html
    for account in registration.accounts.all():
        assert account.number in html
    for location in registration.locations.all():
        assert location.bflo.number in html
    assert registration_review.registration_letter_pdf(registration=registration).startswith(b"%PDF")


def test_a_marked_fuel_seller_approved_reports_on_its_new_tefs_account_at_its_bflos(
    registrant, staff, django_capture_on_commit_callbacks
):
    """Issue 14, item 11, end to end: the Fuel Tax registration (AT4905) with the reason "sell marked fuel" opens
    the TEFS account with its BFLO numbers; the letter says how to report; the registrant, its owner, finds the
    seller's functions in its menu and its BFLOs on Create AFFB/TEFU Sales, and its letter in its documents."""
    registration = _approve(
        registration_pending(registrant=registrant), staff, django_capture_on_commit_callbacks
    )
    tefs = registration.accounts.get(program__code="tefs")
    html = registration_review.registration_letter_html(registration=registration)
    assert f"each month on account {tefs.number}, under Create AFFB/TEFU Sales" in html
    client = sign_in(Client(), registrant)
    page = client.get(reverse("marked_fuel_sales", kwargs={"number": tefs.number})).content.decode()
    for location in registration.locations.select_related("bflo"):
        assert f'<option value="{location.bflo.number}">' in page
    for name in (
        "marked_fuel_reports",
        "marked_fuel_acquisitions",
        "marked_fuel_inventory",
        "exemption_check",
    ):
        assert reverse(name, kwargs={"number": tefs.number}) in page  # the account menu offers each
    assert Document.objects.filter(account=tefs).count() == 1  # the approval letter
    fuel_tax = registration.accounts.get(program__code="fuel_tax")
    menu = client.get(reverse("account_detail", kwargs={"number": fuel_tax.number})).content.decode()
    assert "marked-fuel/sales/" not in menu


def test_fuel_tax_only_without_marked_fuel_or_direct_deposit(
    registrant, staff, django_capture_on_commit_callbacks
):
    registration = registration_pending(
        registrant=registrant, reasons=["import_for_resale"], locations=[], direct_deposit=False
    )

    registration = _approve(registration, staff, django_capture_on_commit_callbacks)

    (account,) = registration.accounts.all()
    assert account.program.code == "fuel_tax"
    assert not BulkFuelLocation.objects.filter(account=account).exists()
    assert not DirectDeposit.objects.filter(account=account).exists()
    assert Document.objects.filter(account=account).count() == 1


def test_a_registration_to_dye_fuel_opens_tefs_with_the_bflos_and_the_dye_sites(
    registrant, staff, django_capture_on_commit_callbacks
):
    """Dyed fuel is marked fuel: "Mark (dye) fuel" opens the Tax Exempt Fuel Sales account, which holds the BFLOs
    and the dye sites (docs/adr/0025-dye-site-reports.md); a dye site named as a location gets that BFLO."""
    registration = registration_pending(
        registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1], dye_sites=DYE_SITES
    )

    registration = _approve(registration, staff, django_capture_on_commit_callbacks)

    tefs = registration.accounts.get(program__code="tefs")
    assert sorted(registration.accounts.values_list("program__code", flat=True)) == ["fuel_tax", "tefs"]
    bflo = BulkFuelLocation.objects.get(account=tefs)
    assert bflo.name == LOCATIONS[0]["name"]
    site = DyeSite.objects.get(account=tefs)
    assert site.location == bflo
    assert site.registration == registration
    assert site.storage_litres == DYE_SITES[0]["storage_litres"]
    assert site.supplied_by == ["rail", "truck"]
    assert site.effective_date == max(timezone.localdate(), registration.start_date)
    assert AccessLogEntry.objects.filter(action="dye site approved", account_number=tefs.number).exists()
    letter = registration_review.registration_letter_html(registration=registration)
    assert 'data-letter="dye-sites"' in letter
    assert bflo.number in letter


def test_a_known_bin_opens_the_accounts_for_that_taxpayer(
    registrant, staff, django_capture_on_commit_callbacks
):
    existing = ProgramAccountFactory(
        taxpayer=TaxpayerFactory(bin="456789123", legal_name="Chinook Bulk Fuels Ltd.")
    )
    consent = ConsentFactory(taxpayer=existing.taxpayer, all_accounts=True, covers_future_accounts=True)
    registration = registration_pending(
        registrant=registrant, business={"bin": "456789123"}, reasons=["import_for_resale"], locations=[]
    )

    registration = _approve(registration, staff, django_capture_on_commit_callbacks)

    assert registration.taxpayer == existing.taxpayer
    assert Taxpayer.objects.filter(bin="456789123").count() == 1
    (account,) = registration.accounts.all()
    assert account.number == "456789123-01-002"  # the taxpayer's second Fuel Tax account
    # A consent that covers the taxpayer's later accounts reaches the new one.
    assert Grant.objects.filter(account=account, consent=consent, role=Grant.Role.REPRESENTATIVE).exists()


def test_an_unknown_bin_becomes_the_new_taxpayer_s_bin(registrant, staff, django_capture_on_commit_callbacks):
    registration = registration_pending(registrant=registrant, business={"bin": "312345678"})

    registration = _approve(registration, staff, django_capture_on_commit_callbacks)

    assert registration.taxpayer.bin == "312345678"


def test_approving_twice_opens_nothing_more(registrant, staff, django_capture_on_commit_callbacks):
    registration = registration_pending(registrant=registrant)
    registration = _approve(registration, staff, django_capture_on_commit_callbacks)
    emails = len(mail.outbox)

    again = _approve(registration, staff, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.registration_letter_issue(registration_id=registration.pk) == []

    assert again.pk == registration.pk
    assert ProgramAccount.objects.count() == 2
    assert Taxpayer.objects.count() == 1
    assert Grant.objects.filter(user=registrant).count() == 2
    assert BulkFuelLocation.objects.count() == 2
    assert Document.objects.count() == 2
    assert len(mail.outbox) == emails


@pytest.mark.parametrize("state", ["draft", "rejected", "more_information_requested"])
def test_only_a_pending_registration_is_approved(registrant, staff, state):
    if state == "draft":
        registration = registration_draft(registrant=registrant)
    else:
        registration = registration_pending(registrant=registrant)
        if state == "rejected":
            registration_review.registration_reject(
                registration=registration, by=staff, reason="No.", actor=actor_for(staff)
            )
        else:
            registration_review.registration_request_information(
                registration=registration,
                by=staff,
                message="More.",
                actor=actor_for(staff),
            )

    with pytest.raises(ValidationError) as caught:
        services.registration_approve(registration=registration, by=staff, actor=actor_for(staff))

    assert caught.value.messages == [str(registration_review.NOT_PENDING)]
    assert not ProgramAccount.objects.exists()
    assert not Taxpayer.objects.exists()


def test_no_letter_before_approval(registrant):
    registration = registration_pending(registrant=registrant)

    with pytest.raises(ValidationError):
        services.registration_letter_issue(registration_id=registration.pk)


def test_approval_stands_when_the_letter_job_cannot_be_scheduled(
    registrant, staff, django_capture_on_commit_callbacks, monkeypatch
):
    from consent import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.registration_letter_issue_job, "delay", broker_down)
    registration = _approve(
        registration_pending(registrant=registrant), staff, django_capture_on_commit_callbacks
    )

    assert registration.status == Registration.Status.APPROVED
    assert registration.letter_issued_at is None
    assert not Document.objects.exists()


def test_after_approval_the_account_is_on_home_with_role_owner(
    client, registrant, staff, django_capture_on_commit_callbacks
):
    registration = _approve(
        registration_pending(registrant=registrant), staff, django_capture_on_commit_callbacks
    )
    sign_in(client, registrant)

    home = client.get(reverse("home"))
    detail = client.get(reverse("registration_detail", kwargs={"pk": registration.pk}))

    for account in registration.accounts.all():
        assert account.number in home.text
        assert reverse("account_detail", kwargs={"number": account.number}) in detail.text
    assert "Account owner" in home.text
    assert "Your approval letter is in the documents of each account" in detail.text
    assert registration.taxpayer.bin in detail.text
    for location in registration.locations.all():
        assert location.bflo.number in detail.text
