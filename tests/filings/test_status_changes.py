"""Status changes of returns and claims (filings.status.filing_status_change): the moves allowed, the processed
date, the access log, and the e-mail to the filer and the account's VIEW_ASSESSMENTS holders (never an amount)."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.crypto import decrypt
from accounts.models import AccessLogEntry, OutboxEmail
from consent.models import Grant
from consent.privileges import Privilege
from filings.models import FuelTaxReturn
from filings.status import STATUS_CHANGE_REFUSED, filing_status_change, status_change_recipients
from tests.accounts.factories import UserFactory
from tests.consent.factories import delegate_grant
from tests.filings.claim_factories import file_claim
from tests.filings.factories import amend_return, edmonton, file_return, status_actor

RECEIVED, IN_REVIEW, ASSESSED, REASSESSED = (
    FuelTaxReturn.Status.RECEIVED,
    FuelTaxReturn.Status.IN_REVIEW,
    FuelTaxReturn.Status.ASSESSED,
    FuelTaxReturn.Status.REASSESSED,
)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, full_name="Sam Staff")


@pytest.fixture
def filed(account, filer):
    """A return filed by a delegate (FILE_RETURNS only) on 2024-06-03, for May 2024: 1,000 L at $0.13."""
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        return file_return(
            account=account, period="2024-05", user=filer, capacity="delegate", clear_gasoline__taxable="1000"
        )


def status_emails():
    return [
        (email.to, decrypt(email.subject_encrypted), decrypt(email.body_encrypted))
        for email in OutboxEmail.objects.filter(purpose="filing-status").order_by("id")
    ]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([IN_REVIEW], True),
        ([IN_REVIEW, RECEIVED], True),
        ([IN_REVIEW, ASSESSED], True),
        ([ASSESSED], True),
        ([ASSESSED, REASSESSED, REASSESSED], True),
        ([REASSESSED], False),
        ([RECEIVED], False),
        ([ASSESSED, IN_REVIEW], False),
        ([ASSESSED, RECEIVED], False),
        (["lost"], False),
    ],
)
def test_the_moves_allowed(filed, staff, path, allowed):
    filing = filed
    *before, last = path
    for status in before:
        filing = filing_status_change(filing=filing, status=status, actor=status_actor(staff))
    if allowed:
        assert filing_status_change(filing=filing, status=last, actor=status_actor(staff)).status == last
        return
    current = filing.status
    with pytest.raises(ValidationError) as caught:
        filing_status_change(filing=filing, status=last, actor=status_actor(staff))
    assert caught.value.code == "status_change_refused"
    assert caught.value.messages[0].startswith(
        f"Fuel tax return for May 2024 {filed.confirmation_number} is “"
    )
    assert FuelTaxReturn.objects.get(pk=filed.pk).status == current


def test_processed_date_set_when_assessed(filed, staff):
    with time_machine.travel(edmonton(2024, 6, 10, 14), tick=False):
        in_review = filing_status_change(filing=filed, status=IN_REVIEW, actor=status_actor(staff))
    assert in_review.processed_at is None
    assert in_review.status_changed_at == edmonton(2024, 6, 10, 14)
    with time_machine.travel(edmonton(2024, 6, 20, 9), tick=False):
        assessed = filing_status_change(filing=in_review, status=ASSESSED, actor=status_actor())
    assert assessed.processed_at == edmonton(2024, 6, 20, 9)
    with time_machine.travel(edmonton(2024, 9, 1, 9), tick=False):
        reassessed = filing_status_change(filing=assessed, status=REASSESSED, actor=status_actor())
    assert reassessed.processed_at == edmonton(2024, 9, 1, 9)


def test_the_change_is_logged(filed, staff):
    filing_status_change(filing=filed, status=IN_REVIEW, actor=status_actor(staff))
    entry = AccessLogEntry.objects.get(action="return status changed")
    assert (entry.actor, entry.capacity, entry.account_number) == (staff, "staff", filed.account.number)
    assert entry.detail == f"{filed.confirmation_number}: Received -> In review"
    assert entry.kind == AccessLogEntry.Kind.CHANGE


def test_the_filer_and_the_viewers_are_emailed_without_amounts(account, owner, filer, filed, staff):
    viewer = UserFactory(full_name="Vera Viewer")
    delegate_grant(account=account, user=viewer, privileges=(Privilege.VIEW_ASSESSMENTS,))
    bystander = UserFactory(full_name="Bo Bystander")  # may file, may not view assessments, did not file this
    delegate_grant(account=account, user=bystander, privileges=(Privilege.FILE_RETURNS,))
    former = UserFactory()
    delegate_grant(
        account=account, user=former, privileges=(Privilege.VIEW_ASSESSMENTS,), status=Grant.Status.REVOKED
    )
    with time_machine.travel(edmonton(2024, 6, 10, 14), tick=False):
        filing_status_change(filing=filed, status=IN_REVIEW, actor=status_actor(staff))
    emails = status_emails()
    assert sorted(to[0] for to, _subject, _body in emails) == sorted([owner.email, filer.email, viewer.email])
    assert all(len(to) == 1 for to, _subject, _body in emails)  # one e-mail each: no one sees the others
    _to, subject, body = emails[0]
    assert subject == f"TRACS: fuel tax return for May 2024 {filed.confirmation_number} is now in review"
    assert "Status: In review" in body
    assert "Expected processing date: 2024-07-03" in body  # received 2024-06-03 + 30 days
    assert filed.confirmation_number in body
    assert account.number in body
    assert "$" not in body
    assert "130" not in body


def test_a_revoked_filer_is_not_emailed(account, owner, filer, filed, staff):
    Grant.objects.filter(user=filer).update(status=Grant.Status.REVOKED)
    assert status_change_recipients(filing=filed) == [owner.email]


def test_assessed_emails_say_processed(filed, owner, staff):
    with time_machine.travel(edmonton(2024, 6, 20, 9), tick=False):
        filing_status_change(filing=filed, status=ASSESSED, actor=status_actor())
    _to, subject, body = status_emails()[0]
    assert subject.endswith("is now assessed")
    assert "Processed: 2024-06-20" in body
    assert "Expected" not in body


def test_an_amended_version_is_named_as_such(account, owner, filed, staff):
    amended = amend_return(original=filed, user=owner, clear_gasoline__taxable="900")
    filing_status_change(filing=amended, status=IN_REVIEW, actor=status_actor(staff))
    _to, subject, _body = status_emails()[0]
    assert f"fuel tax return for May 2024 (version 2) {amended.confirmation_number}" in subject


def test_claims_move_the_same_way(account, owner, staff):
    with time_machine.travel(edmonton(2024, 6, 1), tick=False):
        claim = file_claim(account=account, user=owner)
        moved = filing_status_change(filing=claim, status=IN_REVIEW, actor=status_actor(staff))
    assert moved.status == IN_REVIEW
    assert AccessLogEntry.objects.filter(action="claim status changed").count() == 1
    _to, subject, body = status_emails()[0]
    assert subject == f"TRACS: fuel tax refund claim {claim.confirmation_number} is now in review"
    assert "Expected processing date: 2024-07-31" in body  # 2024-06-01 + 60 days
    assert date(2024, 7, 31).isoformat() in body


def test_the_refusal_message_constant(filed, staff):
    assert "cannot be moved" in str(STATUS_CHANGE_REFUSED)
