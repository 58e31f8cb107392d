"""The authorization matrix: every account-scoped URL pattern (every pattern with a `number`), GET and POST,
as every kind of person. A new account-scoped pattern is picked up automatically; one whose view is not
wrapped by consent.access.account_view fails `test_every_account_pattern_is_guarded`.

Policy (docs/adr/0003-one-access-policy.md): anonymous -> 302 to sign-in; no access in force -> 404, the
same as a made-up account number; access without the privilege -> 403; otherwise the page answers.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from consent.models import Consent, Grant
from consent.privileges import GRANTABLE, Privilege
from programs.models import Contact, Program
from programs.services.accounts import account_open, taxpayer_create
from tests.accounts.factories import UserFactory, actor_for
from tests.assessments.factories import acting
from tests.conftest import sign_in

ROLES = [
    "anonymous",
    "outsider",
    "delegate_lacking",
    "delegate_with",
    "representative_in_scope",
    "representative_out_of_scope",
    "revoked_delegate",
    "expired_representative",
    "owner",
    "staff",
]


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def account_patterns() -> list[tuple[str, URLPattern]]:
    return sorted(
        (
            (route, entry)
            for route, entry in _walk(get_resolver().url_patterns)
            if "<number>" in route or "<str:number>" in route
        ),
        key=lambda item: item[0],
    )


PATTERNS = account_patterns()


def test_there_are_account_scoped_pages():
    assert len(PATTERNS) >= 5, [route for route, _ in PATTERNS]


@pytest.mark.parametrize(("route", "entry"), PATTERNS, ids=[route for route, _ in PATTERNS])
def test_every_account_pattern_is_guarded(route, entry):
    assert getattr(entry.callback, "required_privilege", None) in set(Privilege), (
        f"{route} takes an account number but its view is not wrapped by consent.access.account_view"
    )


def _grant(account, user, role, privileges=(), consent=None, status=Grant.Status.ACTIVE, ends_on=None):
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


def _consent(taxpayer, user, privileges, *, expires_on=None):
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


def _build_world() -> dict:
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
    owner = UserFactory()
    _grant(account, owner, Grant.Role.OWNER)
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
        "other_account": other_account,
        "owner": owner,
        "target": target,
        "taxpayer": taxpayer,
    }
    world["ids"] = _things_named_by_urls(world)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module, inside a transaction rolled back at its end; each test runs in a savepoint
    inside it (pytest-django's `db`), so what a cell changes (a grant revoked, a contact deleted) is undone
    before the next cell. Building it per cell rendered a notice PDF ~130 times."""
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
        yield {**_build_world(), "media_root": media_root}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _cell(db, world, settings):
    """Every cell runs in its own savepoint over the module's world, and reads the world's files."""
    settings.MEDIA_ROOT = world["media_root"]


def _person(role: str, privilege: str, world) -> object | None:
    account = world["account"]
    other = [p for p in GRANTABLE if p != privilege][0]
    grantable = privilege != Privilege.MANAGE_ACCESS
    if role == "anonymous":
        return None
    user = UserFactory(is_staff=(role == "staff"), is_superuser=(role == "staff"))
    if role == "delegate_lacking":
        _grant(account, user, Grant.Role.DELEGATE, [other])
    elif role == "delegate_with":
        _grant(account, user, Grant.Role.DELEGATE, [privilege] if grantable else list(GRANTABLE))
    elif role == "representative_in_scope":
        consent = _consent(world["taxpayer"], user, [privilege] if grantable else list(GRANTABLE))
        _grant(account, user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent)
    elif role == "representative_out_of_scope":
        consent = _consent(world["other_account"].taxpayer, user, list(GRANTABLE))
        _grant(world["other_account"], user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent)
    elif role == "revoked_delegate":
        _grant(
            account,
            user,
            Grant.Role.DELEGATE,
            [privilege] if grantable else list(GRANTABLE),
            status=Grant.Status.REVOKED,
        )
    elif role == "expired_representative":
        yesterday = timezone.localdate() - timedelta(days=1)
        consent = _consent(world["taxpayer"], user, list(GRANTABLE), expires_on=yesterday)
        _grant(
            account, user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent, ends_on=yesterday
        )
    elif role == "owner":
        user = world["owner"]
    return user


def expected(role: str, privilege: str) -> str:
    if role == "anonymous":
        return "sign-in"
    if role in (
        "outsider",
        "representative_out_of_scope",
        "revoked_delegate",
        "expired_representative",
        "staff",
    ):
        return "404"
    if role == "owner":
        return "allowed"
    if role == "delegate_lacking":
        return "403"
    # delegates and representatives never hold manage_access, whatever they were given
    return "403" if privilege == Privilege.MANAGE_ACCESS else "allowed"


def _things_named_by_urls(world) -> dict:
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from accounts.actors import Actor, Door
    from assessments.models import LedgerTransaction
    from assessments.models_objections import SupportingDocument
    from assessments.objection_filing import Representative, objection_file, waiver_request_file
    from assessments.services.ledger import ledger_post
    from assessments.services.returns import assessment_make, notice_render
    from filings.claims import ClaimLineInput, claim_submit, submission_token_new
    from filings.services import return_submit
    from programs.services.documents import document_issue
    from programs.services.messages import message_send

    account, owner = world["account"], world["owner"]
    rep = UserFactory()
    consent = _consent(world["taxpayer"], rep, [Privilege.VIEW_ACCOUNT])
    _grant(account, rep, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent)
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
        **signed,
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
    return {
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
    }


def _kwargs(route: str, world) -> dict:
    ids = world["ids"]
    kwargs = {"number": world["account"].number}
    if "<int:grant_id>" in route:
        kwargs["grant_id"] = world["target"].pk
    if "<int:consent_id>" in route:
        kwargs["consent_id"] = ids["consent_id"]
    if "<str:kind>" in route:  # an address of the account: mailing or location
        kwargs["kind"] = "mailing"
    if "<int:contact_id>" in route:
        kwargs["contact_id"] = ids["contact_id"]
    if "<period:period>" in route:  # a month the account owes a return for, not yet filed (filings)
        kwargs["period"] = "2024-01"
    if "<str:confirmation_number>" in route:  # a return the account filed (filings)
        kwargs["confirmation_number"] = ids["confirmation_number"]
    if "<int:message_id>" in route:  # a message from TRA to the account (programs)
        kwargs["message_id"] = ids["message_id"]
    if "<int:document_id>" in route:  # a document of the account, with one file (programs)
        kwargs["document_id"] = ids["document_id"]
        if "<int:file_id>" in route:
            kwargs["file_id"] = ids["file_id"]
    if "<claim_kind:kind>" in route:  # a kind of claim the fuel tax account files (filings)
        kwargs["kind"] = "fuel-tax-refund"
    if "<str:claim_number>" in route:  # a claim the account filed (filings)
        kwargs["claim_number"] = ids["claim_number"]
    if "<int:notice_id>" in route:  # a notice of assessment of the account (assessments)
        kwargs["notice_id"] = ids["notice_id"]
    if "<int:objection_id>" in route:  # a Notice of Objection, and a document filed with it
        kwargs["objection_id"] = ids["objection_id"]
        if "<int:document_id>" in route:
            kwargs["document_id"] = ids["objection_document_id"]
    if "<int:waiver_id>" in route:  # a waiver request, and a document filed with it
        kwargs["waiver_id"] = ids["waiver_id"]
        if "<int:document_id>" in route:
            kwargs["document_id"] = ids["waiver_document_id"]
    unknown = set(_route_params(route)) - set(kwargs)
    assert not unknown, f"teach the matrix how to fill {unknown} in {route}"
    return kwargs


def _route_params(route: str) -> list[str]:
    import re

    return [name for name in re.findall(r"<(?:\w+:)?(\w+)>", route)]


CASES = [
    (route, entry, role, method)
    for (route, entry), role, method in itertools.product(PATTERNS, ROLES, ["get", "post"])
]


@pytest.mark.parametrize(
    ("route", "entry", "role", "method"),
    CASES,
    ids=[f"{route}|{role}|{method}" for route, _, role, method in CASES],
)
def test_matrix_cell(client, world, route, entry, role, method):
    privilege = entry.callback.required_privilege
    url = reverse(entry.name, kwargs=_kwargs(route, world))
    person = _person(role, privilege, world)
    if person is not None:
        sign_in(client, person)
    response = getattr(client, method)(url)
    outcome = expected(role, privilege)
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )  # downloads stream
    body = content.decode(errors="replace")
    if outcome == "sign-in":
        assert response.status_code == 302
        assert "/auth/login/" in response["Location"]
    elif outcome == "404":
        assert response.status_code == 404
        assert world["taxpayer"].legal_name not in body
        assert world["account"].number not in body
        made_up = getattr(client, method)(
            reverse(entry.name, kwargs={**_kwargs(route, world), "number": "000000000-01-001"})
        )
        assert made_up.status_code == 404
    elif outcome == "403":
        assert response.status_code == 403
        assert str(Privilege(privilege).label) in body or privilege == Privilege.MANAGE_ACCESS
    else:
        assert response.status_code in (200, 302, 400, 405), response.status_code
        if response.status_code == 302:
            assert "/auth/login/" not in response["Location"]
    # Nothing of another taxpayer ever appears.
    assert "Elsewhere Energy" not in body
