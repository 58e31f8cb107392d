import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AccessLogEntry, OutboxEmail
from accounts.services import outbox_send
from filings.models import FuelTaxReturn, ReturnLine
from filings.periods import Period
from filings.services import (
    ALREADY_FILED,
    CERTIFIED_CAPACITY_REQUIRED,
    CERTIFIED_NAME_REQUIRED,
    NOT_A_FUEL_TAX_ACCOUNT,
    NOT_A_PERIOD_END,
    PERIOD_AFTER_CLOSURE,
    PERIOD_BEFORE_ACCOUNT,
    PERIOD_NOT_ENDED,
    ReturnAlreadyFiled,
    ReturnLinesInvalid,
    return_preview,
    return_submit,
)
from programs.money import NEGATIVE, NOT_A_NUMBER
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import amend_return, edmonton, file_return, filer_actor, lines_of


def test_submit_stores_the_return_its_lines_the_log_and_the_email(
    account, owner, mailoutbox, django_capture_on_commit_callbacks
):
    """June 2021: 100,000 L clear gasoline x $0.13 + 20,000 L marked diesel x $0.04 = $13,800.00."""
    with (
        time_machine.travel(edmonton(2021, 7, 5, 9, 30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=owner,
            clear_gasoline__taxable="100,000",
            marked_diesel__taxable="20000",
        )
    tax_return.refresh_from_db()
    assert re.fullmatch(r"FT-202106-[2-9A-HJKMNP-Z]{6}", tax_return.confirmation_number)
    assert (tax_return.period_start, tax_return.period_end, tax_return.due_on) == (
        date(2021, 6, 1),
        date(2021, 6, 30),
        date(2021, 7, 28),
    )
    assert (tax_return.kind, tax_return.version, tax_return.status, tax_return.amends) == (
        "original",
        1,
        "received",
        None,
    )
    assert tax_return.total_tax == Decimal("13800.00")
    assert (tax_return.filed_by, tax_return.filed_by_email, tax_return.filed_in_capacity) == (
        owner,
        owner.email,
        "owner",
    )
    assert (tax_return.certified_name, tax_return.certified_capacity) == (owner.display_name, "Controller")
    assert timezone.localtime(tax_return.received_at).strftime("%Y-%m-%d %H:%M") == "2021-07-05 09:30"
    assert tax_return.late_days == 0
    lines = list(
        tax_return.lines.values_list("fuel", "category", "litres", "rate_value", "rate_effective_from", "tax")
    )
    assert lines == [
        (
            "clear_gasoline",
            "taxable",
            Decimal("100000.000"),
            Decimal("0.130000"),
            date(2015, 3, 27),
            Decimal("13000.00"),
        ),
        (
            "marked_diesel",
            "taxable",
            Decimal("20000.000"),
            Decimal("0.040000"),
            date(2015, 4, 1),
            Decimal("800.00"),
        ),
    ]
    log = AccessLogEntry.objects.get(action="fuel tax return filed")
    assert (log.actor, log.kind, log.account_number, log.capacity) == (
        owner,
        "change",
        account.number,
        "owner",
    )
    assert tax_return.confirmation_number in log.detail
    assert "$13,800.00" in log.detail
    assert "Prairie Fuels Ltd." in log.on_behalf_of
    email = OutboxEmail.objects.get(purpose="return-confirmation")
    assert email.to == [owner.email]
    outbox_send(email_id=email.pk)
    [sent] = [m for m in mailoutbox if tax_return.confirmation_number in m.subject]
    assert "Total tax: $13,800.00" in sent.body
    assert "Received: 2021-07-05 09:30 Mountain Time" in sent.body


def test_a_nil_return_has_no_lines(account, owner):
    tax_return = file_return(account=account, period="2021-01", user=owner, clear_gasoline__taxable="0")
    assert tax_return.total_tax == Decimal("0.00")
    assert tax_return.is_nil
    assert tax_return.lines.count() == 0


def test_a_second_original_is_refused_with_the_existing_return(account, owner):
    first = file_return(account=account, period="2021-03", user=owner, clear_gasoline__taxable="10")
    with pytest.raises(ReturnAlreadyFiled) as caught:
        file_return(account=account, period="2021-03", user=owner, clear_gasoline__taxable="20")
    assert caught.value.existing == first
    assert caught.value.message == ALREADY_FILED % {
        "period": "March 2021",
        "confirmation": first.confirmation_number,
    }
    assert FuelTaxReturn.objects.count() == 1
    assert ReturnLine.objects.get().litres == Decimal("10.000")
    assert AccessLogEntry.objects.filter(action="fuel tax return filed").count() == 1


def test_the_database_refuses_a_second_original(account, owner):
    """The constraint, not only the service's check: a raw insert of a second original fails, and the
    guard is a partial unique index on (account, period) for originals."""
    first = file_return(account=account, period="2021-03", user=owner)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FuelTaxReturn.objects.create(
            account=account,
            period_start=first.period_start,
            period_end=first.period_end,
            received_at=timezone.now(),
            due_on=first.due_on,
            confirmation_number="FT-202103-ZZZZZZ",
            filed_by_email="x@example.ca",
            filed_in_capacity="owner",
            certified_name="X",
            certified_capacity="Y",
            total_tax=Decimal(0),
        )
    assert caught.value.__cause__.diag.constraint_name in (
        "fuel_tax_return_one_original_per_period",
        "fuel_tax_return_unique_version",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'fuel_tax_return_one_original_per_period'"
        )
        [(definition,)] = cursor.fetchall()
    assert definition.startswith("CREATE UNIQUE INDEX")
    assert "(account_id, period_start) WHERE ((kind)::text = 'original'::text)" in definition
    assert FuelTaxReturn.objects.count() == 1


def test_the_database_keeps_versions_consistent_with_their_kind(account, owner):
    first = file_return(account=account, period="2021-03", user=owner)
    with pytest.raises(IntegrityError, match="fuel_tax_return_version_matches_kind"), transaction.atomic():
        FuelTaxReturn.objects.create(
            account=account,
            period_start=first.period_start,
            period_end=first.period_end,
            received_at=timezone.now(),
            due_on=first.due_on,
            confirmation_number="FT-202103-ZZZZZZ",
            filed_by_email="x@example.ca",
            kind="amended",
            version=2,
            filed_in_capacity="owner",
            certified_name="X",
            certified_capacity="Y",
            total_tax=Decimal(0),
        )


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("litres", Decimal("-1"), "return_line_litres_not_negative"),
        ("tax", Decimal("-0.01"), "return_line_tax_not_negative"),
    ],
)
def test_the_database_refuses_negative_lines(account, owner, field, value, constraint):
    tax_return = file_return(account=account, period="2021-03", user=owner, clear_gasoline__taxable="10")
    line = tax_return.lines.get()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        ReturnLine.objects.filter(pk=line.pk).update(**{field: value})


def test_the_database_refuses_tax_on_a_tax_out_line(account, owner):
    tax_return = file_return(account=account, period="2021-03", user=owner, clear_gasoline__export_bulk="10")
    with pytest.raises(IntegrityError, match="return_line_no_tax_on_tax_out"), transaction.atomic():
        tax_return.lines.update(tax=Decimal("1.30"))


@pytest.mark.parametrize(
    ("today", "period", "message"),
    [
        # June 2021 ends on the 30th: not yet on the 30th, from July 1
        (
            edmonton(2021, 6, 30, 23, 59),
            "2021-06",
            PERIOD_NOT_ENDED % {"period": "June 2021", "first_day": "2021-07-01"},
        ),
        (
            edmonton(2021, 6, 15),
            "2021-07",
            PERIOD_NOT_ENDED % {"period": "July 2021", "first_day": "2021-08-01"},
        ),
        # the account owes returns from January 2021
        (
            edmonton(2021, 6, 15),
            "2020-12",
            PERIOD_BEFORE_ACCOUNT % {"period": "December 2020", "effective": "2021-01-01"},
        ),
    ],
)
def test_periods_that_cannot_be_filed(account, owner, today, period, message):
    with time_machine.travel(today, tick=False), pytest.raises(ValidationError) as caught:
        file_return(account=account, period=period, user=owner)
    assert caught.value.messages == [str(message)]
    assert not FuelTaxReturn.objects.exists()


def test_the_first_day_after_the_period_may_file(account, owner):
    with time_machine.travel(edmonton(2021, 7, 1, 0, 1), tick=False):
        assert file_return(account=account, period="2021-06", user=owner).period_start == date(2021, 6, 1)


def test_no_return_after_the_account_closed(account, owner):
    account.closed_on = date(2021, 5, 10)
    account.save()
    file_return(account=account, period="2021-05", user=owner)  # the month of closure is owed
    with pytest.raises(ValidationError) as caught:
        file_return(account=account, period="2021-06", user=owner)
    assert caught.value.messages == [
        str(PERIOD_AFTER_CLOSURE % {"period": "June 2021", "closed": "2021-05-10"})
    ]


def test_only_fuel_tax_accounts_file_these_returns(db, owner):
    other = ProgramAccountFactory(program="tefs", effective_date=date(2021, 1, 1))
    with pytest.raises(ValidationError) as caught:
        file_return(account=other, period="2021-03", user=owner)
    assert caught.value.messages == [str(NOT_A_FUEL_TAX_ACCOUNT % {"number": other.number})]


def test_the_period_end_is_the_last_day_of_a_month(account, owner):
    with pytest.raises(ValidationError) as caught:
        return_submit(
            account=account,
            period_end=date(2021, 3, 30),
            lines=[],
            certified_name="A",
            certified_capacity="B",
            actor=filer_actor(owner),
        )
    assert caught.value.messages == [str(NOT_A_PERIOD_END)]


def test_certification_is_required(account, owner):
    with pytest.raises(ValidationError) as caught:
        return_submit(
            account=account,
            period_end=date(2021, 3, 31),
            lines=[],
            certified_name="  ",
            certified_capacity="",
            actor=filer_actor(owner),
        )
    assert caught.value.message_dict == {
        "certified_name": [str(CERTIFIED_NAME_REQUIRED)],
        "certified_capacity": [str(CERTIFIED_CAPACITY_REQUIRED)],
    }
    assert not FuelTaxReturn.objects.exists()


def test_every_bad_line_is_reported_at_once_and_nothing_is_stored(account, owner):
    with pytest.raises(ReturnLinesInvalid) as caught:
        file_return(
            account=account,
            period="2021-03",
            user=owner,
            clear_gasoline__taxable="-1",
            propane__taxable="x",
            clear_diesel__taxable="5",
        )
    assert caught.value.errors_by_key == {
        "clear_gasoline__taxable": str(NEGATIVE),
        "propane__taxable": str(NOT_A_NUMBER),
    }
    assert not FuelTaxReturn.objects.exists()
    assert not AccessLogEntry.objects.filter(kind="change", action__contains="return").exists()
    assert not OutboxEmail.objects.filter(purpose="return-confirmation").exists()


def test_preview_computes_without_storing(account):
    computation = return_preview(
        account=account, period=Period.from_key("2021-06"), lines=lines_of(clear_gasoline__taxable="100")
    )
    assert computation.total == Decimal("13.00")
    assert not FuelTaxReturn.objects.exists()


def test_an_amendment_is_a_new_version_linked_to_the_original(account, owner, filer):
    """History is never overwritten: the original keeps its lines and total."""
    original = file_return(account=account, period="2021-06", user=owner, clear_gasoline__taxable="100000")
    second = amend_return(
        original=original,
        user=filer,
        capacity="delegate",
        clear_gasoline__taxable="90000",
        clear_gasoline__export_bulk="10000",
    )
    third = amend_return(original=second, user=owner, clear_gasoline__taxable="95000")
    original.refresh_from_db()
    assert (original.kind, original.version, original.total_tax) == ("original", 1, Decimal("13000.00"))
    assert original.lines.get().litres == Decimal("100000.000")
    assert (second.kind, second.version, second.amends, second.total_tax) == (
        "amended",
        2,
        original,
        Decimal("11700.00"),
    )
    assert (second.filed_by, second.filed_in_capacity) == (filer, "delegate")
    assert (third.kind, third.version, third.amends, third.total_tax) == (
        "amended",
        3,
        original,
        Decimal("12350.00"),
    )
    assert len({original.confirmation_number, second.confirmation_number, third.confirmation_number}) == 3
    assert list(original.amendments.order_by("version")) == [second, third]
    assert AccessLogEntry.objects.filter(action="fuel tax return amended").count() == 2
    assert OutboxEmail.objects.filter(purpose="return-confirmation").count() == 3


def test_an_amendment_is_validated_like_a_return(account, owner):
    original = file_return(account=account, period="2021-06", user=owner)
    with pytest.raises(ReturnLinesInvalid):
        amend_return(original=original, user=owner, clear_gasoline__taxable="1.23456")
    assert FuelTaxReturn.objects.count() == 1


def test_five_clashing_confirmation_numbers_refuse_the_return_and_store_nothing(account, owner, monkeypatch):
    """Each clash draws again, five times at most: with the draw fixed (every character "Z"), a second return of
    the same month clashes with the first each time and is refused whole, not stored under a duplicate."""
    monkeypatch.setattr("secrets.choice", lambda alphabet: alphabet[-1])
    first = file_return(account=account, period="2021-01", user=owner, clear_gasoline__taxable="0")
    assert first.confirmation_number == "FT-202101-ZZZZZZ"
    other = ProgramAccountFactory(effective_date=date(2021, 1, 1))
    with pytest.raises(RuntimeError, match="could not draw a free confirmation number"):
        file_return(account=other, period="2021-01", user=owner, clear_gasoline__taxable="0")
    assert not FuelTaxReturn.objects.filter(account=other).exists()
