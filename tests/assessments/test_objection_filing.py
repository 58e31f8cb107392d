"""Filing a Notice of Objection (AT4762) and a waiver request (AT4764) through the services: the objection periods
(90 days; the calendar date 1 year later + 90 days with a reason for the extension, on both sides of a leap day;
refused after) on the day before, on and after each boundary, the 2,000-character statement, at most 10
documents, the authorized representative, nothing written when refused, the filing's documents and receipt."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from accounts.models import AccessLogEntry
from assessments import objection_filing, objections, rules
from assessments.models import LedgerTransaction, Notice
from assessments.models_objections import Objection, SupportingDocument, WaiverRequest
from tests.accounts.factories import actor_for
from tests.assessments.objection_factories import (
    REPRESENTATIVE,
    late_june_2021,
    notice_objection,
    staged_documents,
    waiver_request,
)
from tests.filings.factories import edmonton

LETTER_DATE = date(2024, 1, 10)


def test_the_periods_are_the_dated_rules():
    """AT4762: 90 days, or 1 year + 90 days with a reason for the extension, read from the rules: the letter of
    2024-01-10 may be objected to with a reason up to 2025-01-10 + 90 days = 2025-04-10."""
    assert rules.rule_on(rule=rules.OBJECTION_DAYS, day=LETTER_DATE).value == Decimal(90)
    assert rules.rule_on(rule=rules.OBJECTION_EXTENSION_YEARS, day=LETTER_DATE).value == Decimal(1)
    window = objections.objection_window(dated_on=LETTER_DATE, received_on=LETTER_DATE)
    assert (window.days, window.last_day) == (90, date(2025, 4, 10))


@pytest.mark.parametrize(
    ("received_on", "needs_reason", "too_late"),
    [
        pytest.param(date(2024, 1, 10), False, False, id="same-day"),
        pytest.param(date(2024, 4, 8), False, False, id="90-day-before"),
        pytest.param(date(2024, 4, 9), False, False, id="90-on"),
        pytest.param(date(2024, 4, 10), True, False, id="90-day-after"),
        pytest.param(date(2025, 4, 9), True, False, id="year-and-90-day-before"),
        pytest.param(date(2025, 4, 10), True, False, id="year-and-90-on"),
        pytest.param(date(2025, 4, 11), False, True, id="year-and-90-day-after"),
    ],
)
def test_objection_window_boundaries(received_on, needs_reason, too_late):
    """Days counted from the date of the letter to the day TRA receives the objection (in Alberta): a letter of
    2024-01-10 received 2024-04-09 is 90 days old (in time), 2024-04-10 is 91 (a reason for the extension);
    with a reason up to 2025-01-10 + 90 days = 2025-04-10 (456 days: the year after the letter holds
    2024-02-29); 2025-04-11 is refused."""
    window = objections.objection_window(dated_on=LETTER_DATE, received_on=received_on)
    assert window.needs_extension_reason is needs_reason
    assert window.too_late is too_late


@pytest.mark.parametrize(
    ("dated_on", "last_day"),
    [
        # 2023-03-01 + 1 year = 2024-03-01 (366 days: 2024-02-29 between), + 90 days = 2024-05-30 (456 days).
        pytest.param(date(2023, 3, 1), date(2024, 5, 30), id="2023-03-01"),
        # 2023-02-28 + 1 year = 2024-02-28 (365 days), + 90 days = 2024-05-28 (455 days).
        pytest.param(date(2023, 2, 28), date(2024, 5, 28), id="2023-02-28"),
        # 2024-02-28 + 1 year = 2025-02-28 (366 days: 2024-02-29 between), + 90 days = 2025-05-29 (456 days).
        pytest.param(date(2024, 2, 28), date(2025, 5, 29), id="2024-02-28"),
        # 2024-02-29 + 1 year: 2025 has no 29 February, so the last day of February, 2025-02-28 (the Interpretation
        # Act rule for a period of months, rules.years_after), + 90 days = 2025-05-29 (455 days).
        pytest.param(date(2024, 2, 29), date(2025, 5, 29), id="2024-02-29"),
        # 2024-03-01 + 1 year = 2025-03-01 (365 days), + 90 days = 2025-05-30 (455 days).
        pytest.param(date(2024, 3, 1), date(2025, 5, 30), id="2024-03-01"),
        # 2027-02-28 + 1 year = 2028-02-28 (365 days), + 90 days = 2028-05-28 (2028-02-29 among the 90: 455 days).
        pytest.param(date(2027, 2, 28), date(2028, 5, 28), id="2027-02-28"),
    ],
)
@pytest.mark.parametrize("offset", [-1, 0, 1], ids=["day-before", "on", "day-after"])
def test_the_extension_is_a_calendar_year_and_90_days_on_both_sides_of_a_leap_day(
    account, dated_on, last_day, offset
):
    """1 year + 90 days is the calendar date a year after the date of the letter, then 90 days: 455 or 456 days
    as the year holds 29 February or not. A letter received on its last day asks for the reason for the extension;
    the day after it is refused, and the refusal names the last day."""
    received_on = last_day + timedelta(days=offset)
    window = objections.objection_window(dated_on=dated_on, received_on=received_on)
    assert window.last_day == last_day
    assert window.too_late is (offset > 0)
    assert window.needs_extension_reason is (offset <= 0)
    check = {
        "account": account,
        "against": "letter",
        "letter_kind": "refusal",
        "letter_dated_on": dated_on,
        "received_on": received_on,
    }
    if offset > 0:
        with pytest.raises(ValidationError) as refused:
            objections.objection_subject_check(**check)
        [message] = refused.value.message_dict["letter_dated_on"]
        assert f"that is by {last_day:%Y-%m-%d}" in message
        return
    assert objections.objection_subject_check(**check)["extension_after_days"] == 90


@pytest.mark.parametrize(
    ("received_on", "expected"),
    [(date(2024, 4, 9), None), (date(2024, 4, 10), 90), (date(2025, 4, 10), 90)],
    ids=["90-on", "90-day-after", "year-and-90-on"],
)
def test_letter_step_asks_for_an_extension_reason_after_90_days(account, received_on, expected):
    state = objections.objection_subject_check(
        account=account,
        against="letter",
        letter_kind="refusal",
        letter_dated_on=LETTER_DATE,
        received_on=received_on,
    )
    assert state["extension_after_days"] == expected
    assert state["dated_on"] == "2024-01-10"


def test_letter_older_than_one_year_and_90_days_is_refused(account):
    """The refusal names the last day (2025-01-10 + 90 days), not a count of days that is a day short in a year
    with 29 February."""
    with pytest.raises(ValidationError) as refused:
        objections.objection_subject_check(
            account=account,
            against="letter",
            letter_kind="cancellation",
            letter_dated_on=LETTER_DATE,
            received_on=date(2025, 4, 11),
        )
    [message] = refused.value.message_dict["letter_dated_on"]
    assert message == str(
        objections.TOO_LATE % {"what": "letter", "dated": "2024-01-10", "last": "2025-04-10"}
    )
    assert "2025-04-10" in message
    assert "455" not in message


def test_letter_step_names_each_missing_field(account):
    with pytest.raises(ValidationError) as refused:
        objections.objection_subject_check(account=account, against="letter")
    assert set(refused.value.message_dict) == {"letter_kind", "letter_dated_on"}


def test_notice_step_needs_a_notice_of_the_account_and_an_amount(
    account, owner, django_capture_on_commit_callbacks
):
    assessment = late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    notice = assessment.notice
    with pytest.raises(ValidationError) as refused:
        objections.objection_subject_check(account=account, against="notice", notice_id=None)
    assert refused.value.message_dict == {"notice": [str(objections.NOTICE_REQUIRED)]}
    for amount in (None, "0", "-5", "abc", "1.005"):
        with pytest.raises(ValidationError) as refused:
            objections.objection_subject_check(
                account=account, against="notice", notice_id=notice.pk, amount_in_dispute=amount
            )
        assert refused.value.message_dict == {"amount_in_dispute": [str(objections.AMOUNT_REQUIRED)]}


@pytest.mark.parametrize(
    ("received", "outcome"),
    [
        (date(2021, 11, 18), "in time"),  # 90 days after 2021-08-20
        (date(2021, 11, 19), "reason"),
        (date(2022, 11, 18), "reason"),  # 2022-08-20 + 90 days
        (date(2022, 11, 19), "refused"),
    ],
)
def test_objection_to_a_notice_is_counted_from_its_date(
    account, owner, django_capture_on_commit_callbacks, received, outcome
):
    """The notice of assessment of 2021-08-20: 90 days end 2021-11-18; 1 year and 90 days end 2022-08-20 + 90 days
    = 2022-11-18."""
    assessment = late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    notice = assessment.notice
    assert notice.issued_on == date(2021, 8, 20)
    with time_machine.travel(edmonton(received.year, received.month, received.day, 15), tick=False):
        if outcome == "refused":
            with pytest.raises(ValidationError) as refused:
                notice_objection(account=account, user=owner, notice=notice)
            assert "notice" in refused.value.message_dict
            assert not Objection.objects.exists()
            return
        if outcome == "reason":
            with pytest.raises(ValidationError) as refused:
                notice_objection(account=account, user=owner, notice=notice)
            assert refused.value.message_dict["extension_reason"] == [
                str(objection_filing.EXTENSION_REASON_REQUIRED % {"what": "notice", "days": 90})
            ]
            assert not Objection.objects.exists()
            objection = notice_objection(
                account=account, user=owner, notice=notice, extension_reason="Our controller was in hospital."
            )
            assert objection.extension_reason == "Our controller was in hospital."
        else:
            objection = notice_objection(
                account=account, user=owner, notice=notice, extension_reason="ignored"
            )
            assert objection.extension_reason == ""
    assert objection.notice_reference == notice.reference
    assert (objection.period_start, objection.period_end) == (date(2021, 6, 1), date(2021, 6, 30))
    assert objection.dated_on == date(2021, 8, 20)
    assert objection.amount_in_dispute == Decimal("1380.00")
    assert objection.status == Objection.Status.RECEIVED


def test_another_accounts_notice_cannot_be_objected_to(account, owner, django_capture_on_commit_callbacks):
    from tests.consent.factories import ProgramAccountFactory

    assessment = late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    other = ProgramAccountFactory()
    with pytest.raises(ValidationError) as refused:
        objections.objection_subject_check(
            account=other, against="notice", notice_id=assessment.notice.pk, amount_in_dispute="10"
        )
    assert "notice" in refused.value.message_dict


@pytest.mark.parametrize(("length", "ok"), [(1999, True), (2000, True), (2001, False)])
def test_statement_of_facts_is_at_most_2000_characters(account, owner, length, ok):
    if ok:
        assert len(objection_filing.facts_check(facts="x" * length)) == length
        return
    with pytest.raises(ValidationError) as refused:
        objection_filing.facts_check(facts="x" * length)
    assert refused.value.message_dict["facts"] == [str(objection_filing.FACTS_TOO_LONG % {"length": "2,001"})]


def test_blank_statement_is_refused():
    with pytest.raises(ValidationError) as refused:
        objection_filing.facts_check(facts="   ")
    assert refused.value.message_dict["facts"] == [str(objection_filing.FACTS_REQUIRED)]


@pytest.mark.parametrize("missing", list(objection_filing.REPRESENTATIVE_FIELDS))
def test_every_representative_field_is_required(missing):
    fields = {
        "name": REPRESENTATIVE.name,
        "position": REPRESENTATIVE.position,
        "address": REPRESENTATIVE.address,
        "phone": REPRESENTATIVE.phone,
    }
    fields[missing.removeprefix("representative_")] = "  "
    with pytest.raises(ValidationError) as refused:
        objection_filing.representative_check(representative=objection_filing.Representative(**fields))
    assert list(refused.value.message_dict) == [missing]


def _letter_objection(account, owner, documents, **extra):
    state = {
        **objections.objection_subject_check(
            account=account, against="letter", letter_kind="disallowance", letter_dated_on=date(2026, 11, 1)
        ),
        "facts": "The claim was complete.",
        **extra,
    }
    return objections.objection_submit(
        account=account,
        state=state,
        documents=documents,
        representative=REPRESENTATIVE,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_ten_documents_are_kept_with_their_descriptions(account, owner, django_capture_on_commit_callbacks):
    documents = staged_documents(account=account, user=owner, count=10)
    with django_capture_on_commit_callbacks(execute=True):
        objection = _letter_objection(account, owner, documents)
    kept = list(objection.documents.order_by("position"))
    assert [(d.position, d.description, d.original_name) for d in kept] == [
        (n, f"Invoice {n}", f"doc{n}.pdf") for n in range(1, 11)
    ]
    assert kept[0].file.name == f"objections/{account.number}/{objection.reference_number}/1.pdf"
    assert all(default_storage.exists(d.file.name) for d in kept)
    assert all(not default_storage.exists(item["token"]) for item in documents)  # temporary copies gone


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_eleven_documents_are_refused_and_nothing_is_written(account, owner):
    documents = staged_documents(account=account, user=owner, count=11)
    with pytest.raises(ValidationError) as refused:
        _letter_objection(account, owner, documents)
    assert refused.value.message_dict["documents"] == [
        str(objection_filing.TOO_MANY_DOCUMENTS % {"limit": 10})
    ]
    assert not Objection.objects.exists()
    assert not SupportingDocument.objects.exists()


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_a_document_without_description_is_refused(account, owner):
    documents = staged_documents(account=account, user=owner, count=1)
    documents[0]["description"] = " "
    with pytest.raises(ValidationError) as refused:
        _letter_objection(account, owner, documents)
    assert refused.value.message_dict["documents"] == [str(objection_filing.DOCUMENT_DESCRIPTION_REQUIRED)]
    assert not Objection.objects.exists()


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_a_failure_while_storing_leaves_no_filing_and_no_file(account, owner, monkeypatch):
    documents = staged_documents(account=account, user=owner, count=2)
    real_create = SupportingDocument.objects.create
    calls = []

    def failing_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    monkeypatch.setattr(SupportingDocument.objects, "create", failing_create)
    with pytest.raises(RuntimeError):
        _letter_objection(account, owner, documents)
    assert not Objection.objects.exists()
    assert not default_storage.exists(calls[0]["file"])  # the first file copied was deleted again
    assert all(default_storage.exists(item["token"]) for item in documents)  # the wizard's copies remain


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_filing_logs_and_sends_a_receipt_without_amounts(account, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        objection = _letter_objection(account, owner, [])
    assert objection.reference_number.startswith("NOO-20261120-")
    assert objection.filed_by == owner
    assert objection.capacity == "owner"
    assert AccessLogEntry.objects.filter(
        action="Notice of Objection filed", account_number=account.number, actor=owner
    ).exists()
    [receipt] = [message for message in mail.outbox if objection.reference_number in message.subject]
    assert receipt.to == [owner.email]
    assert "$" not in receipt.body
    assert "claim was complete" not in receipt.body


def test_waiver_request_of_the_accounts_penalty_and_interest(
    account, owner, django_capture_on_commit_callbacks
):
    from tests.assessments.objection_factories import accrue

    late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    charge = accrue(account=account, through=date(2021, 9, 30))
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    assert {entry.pk for entry in objections.waivable_transactions(account=account)} == {
        penalty.pk,
        charge.pk,
    }
    waiver = waiver_request(
        account=account, user=owner, transactions=[penalty, charge], grounds=["hardship", "tra_action"]
    )
    assert waiver.reference_number.startswith("WPI-")
    assert waiver.transaction_ids == sorted([penalty.pk, charge.pk])
    assert waiver.amount_requested == penalty.amount + charge.amount
    assert waiver.period_ends == [date(2021, 6, 30)]
    assert waiver.grounds == ["tra_action", "hardship"]  # in the form's order
    assert waiver.status == WaiverRequest.Status.RECEIVED


def test_waiver_request_refuses_what_is_not_a_waivable_charge(
    account, owner, django_capture_on_commit_callbacks
):
    late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    tax = LedgerTransaction.objects.get(account=account, kind="assessed_tax")
    with pytest.raises(ValidationError) as refused:
        waiver_request(account=account, user=owner, transactions=[tax])
    assert refused.value.message_dict == {"transactions": [str(objections.TRANSACTION_NOT_WAIVABLE)]}
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    with pytest.raises(ValidationError) as refused:
        waiver_request(account=account, user=owner, transactions=[penalty], grounds=[])
    assert refused.value.message_dict == {"grounds": [str(objections.GROUNDS_REQUIRED)]}
    assert not WaiverRequest.objects.exists()


def test_only_objectable_notices_are_offered(account, owner, django_capture_on_commit_callbacks):
    assessment = late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    assert list(objections.objectable_notices(account=account)) == [assessment.notice]
    assert assessment.notice.kind == Notice.Kind.ASSESSMENT


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_the_same_wizard_sent_twice_files_once(account, owner, django_capture_on_commit_callbacks):
    """A double click on the last step: the second request finds the first objection and returns it."""
    token = "7d5bd9b0-64b4-4d3e-9a57-0b0f5a4c6a11"
    with django_capture_on_commit_callbacks(execute=True):
        first = _letter_objection(account, owner, [], submission_token=token)
        again = _letter_objection(account, owner, [], submission_token=token)
    assert again == first
    assert Objection.objects.count() == 1
    assert len([m for m in mail.outbox if first.reference_number in m.subject]) == 1


@time_machine.travel(edmonton(2026, 11, 20, 9), tick=False)
def test_a_twin_racing_past_the_check_is_stopped_by_the_database(account, owner, monkeypatch):
    """Both requests passed the check before either committed: the unique (account, token) constraint stops the
    second, which returns the first, and none of its documents is kept."""
    import uuid

    token = uuid.uuid4()
    first = _letter_objection(account, owner, [], submission_token=str(token))
    real = objection_filing._already_filed
    calls = []

    def not_seen_yet(model, *, account, token):
        calls.append(token)
        return None if len(calls) == 1 else real(model, account=account, token=token)

    monkeypatch.setattr(objection_filing, "_already_filed", not_seen_yet)
    documents = staged_documents(account=account, user=owner, count=1)
    again = _letter_objection(account, owner, documents, submission_token=str(token))
    assert again == first
    assert Objection.objects.count() == 1
    assert not SupportingDocument.objects.exists()
    assert not default_storage.exists(f"objections/{account.number}/{first.reference_number}/1.pdf")
