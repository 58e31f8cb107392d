"""Filing and amending tourism levy returns through the service (filings/services_tourism_levy.py): what is
stored, recorded and refused (nothing saved), and the periods each establishment owes."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AccessLogEntry, OutboxEmail
from filings import services_tourism_levy as service
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import TourismLevyReturn
from filings.tourism_levy import LevyInput, periods_owed
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, filer_actor
from tests.filings.tourism_levy_factories import establishment, file_levy_return, period_of


@pytest.fixture
def operator(db):
    """Rocky Lodging Ltd.: Lakeview Inn (monthly, opened 2021-01-01) and Summit Motel (quarterly from the start,
    opened 2021-04-01), and its owner."""
    inn = establishment(name="Lakeview Inn", opened=date(2021, 1, 1))
    motel = establishment(
        taxpayer=inn.taxpayer, name="Summit Motel", opened=date(2021, 4, 1), quarterly_from=date(2021, 4, 1)
    )
    owner = UserFactory(full_name="Olga Operator")
    owner_grant(account=inn, user=owner)
    owner_grant(account=motel, user=owner)
    return {"inn": inn, "motel": motel, "owner": owner}


def test_each_establishment_has_its_own_account_numbered_by_its_sequence(operator):
    inn, motel = operator["inn"], operator["motel"]
    assert inn.number.endswith("-06-001")
    assert motel.number.endswith("-06-002")
    assert inn.taxpayer_id == motel.taxpayer_id


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_return_is_stored_with_its_figures_its_log_and_its_email(
    operator, mailoutbox, django_capture_on_commit_callbacks
):
    """June 2021: $12,000.00 gross less $2,000.00 of stays of 28 days or more -> $10,000.00 x 4% = $400.00."""
    with django_capture_on_commit_callbacks(execute=True):
        tax_return = file_levy_return(
            account=operator["inn"],
            period="2021-06",
            user=operator["owner"],
            gross="12000",
            collected="400",
            long_stay="2000",
        )
    tax_return.refresh_from_db()
    assert tax_return.confirmation_number.startswith("TL-202106-")
    assert (tax_return.taxable, tax_return.levy, tax_return.amount_payable) == (
        Decimal("10000.00"),
        Decimal("400.00"),
        Decimal("400.00"),
    )
    assert tax_return.due_on == date(2021, 7, 28)
    assert [(line.reason, line.amount) for line in tax_return.lines.all()] == [
        ("long_stay", Decimal("2000.00"))
    ]
    assert tax_return.total_tax == Decimal("400.00")
    log = AccessLogEntry.objects.get(action="tourism levy return filed")
    assert tax_return.confirmation_number in log.detail
    assert "total $400.00" in log.detail
    assert OutboxEmail.objects.filter(purpose="return-confirmation").count() == 1
    assert "Amount payable: $400.00" in mailoutbox[0].body
    assert "Establishment: " + operator["inn"].number in mailoutbox[0].body


@time_machine.travel(edmonton(2021, 10, 5), tick=False)
def test_a_quarterly_establishment_files_its_quarter_and_a_nil_return(operator):
    motel = operator["motel"]
    nil = file_levy_return(account=motel, period="2021-Q3", user=operator["owner"])
    assert nil.is_nil
    assert nil.period_kind == "quarterly"
    assert (nil.period_start, nil.period_end) == (date(2021, 7, 1), date(2021, 9, 30))
    assert nil.amount_payable == Decimal("0.00")


def _refused(code: str, **kwargs) -> None:
    before = TourismLevyReturn.objects.count()
    with pytest.raises(ValidationError) as raised:
        file_levy_return(**kwargs)
    assert raised.value.code == code or code in getattr(raised.value, "errors_by_field", {})
    assert TourismLevyReturn.objects.count() == before  # nothing saved


@time_machine.travel(edmonton(2021, 10, 5), tick=False)
def test_a_quarterly_period_on_a_monthly_account_is_refused(operator):
    _refused("wrong_frequency", account=operator["inn"], period="2021-Q3", user=operator["owner"], gross="1")
    _refused(
        "wrong_frequency", account=operator["motel"], period="2021-07", user=operator["owner"], gross="1"
    )


@time_machine.travel(edmonton(2021, 10, 5), tick=False)
def test_a_period_before_the_establishment_opened_is_refused(operator):
    """The motel opened 2021-04-01: Q1 2021 ended before it (it files quarterly from its opening)."""
    with pytest.raises(ValidationError) as raised:
        service.period_check(account=operator["motel"], period=period_of("2021-Q1"), today=date(2021, 10, 5))
    assert raised.value.code in ("before_account", "wrong_frequency")
    _refused("before_account", account=operator["inn"], period="2020-12", user=operator["owner"], gross="1")


@time_machine.travel(edmonton(2021, 10, 5), tick=False)
def test_a_period_not_ended_after_closure_or_of_another_program_is_refused(operator):
    _refused("period_not_ended", account=operator["inn"], period="2021-10", user=operator["owner"])
    inn = operator["inn"]
    inn.closed_on = date(2021, 5, 15)
    inn.save()
    _refused("after_closure", account=inn, period="2021-06", user=operator["owner"])
    fuel = ProgramAccountFactory(program="fuel_tax")
    _refused("not_tourism_levy", account=fuel, period="2021-06", user=operator["owner"])


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_return_for_another_establishment_of_the_same_operator_is_refused_beside_its_field(operator):
    inn, motel = operator["inn"], operator["motel"]
    with pytest.raises(service.TourismLevyInvalid) as raised:
        service.tourism_levy_return_submit(
            account=inn,
            period=period_of("2021-06"),
            levy_input=LevyInput(gross_revenue="100", exempt={}),
            establishment=motel.number.replace("-", ""),
            certified_name="Olga",
            certified_capacity="Owner",
            actor=filer_actor(operator["owner"]),
        )
    assert raised.value.errors_by_field == {
        "establishment": service.OTHER_ESTABLISHMENT
        % {"number": motel.number, "name": "Summit Motel", "this": inn.number}
    }
    assert service.establishment_error(account=inn, establishment="123") == str(
        service.NOT_THIS_ESTABLISHMENT % {"this": inn.number}
    )
    assert service.establishment_error(account=inn, establishment=inn.number.replace("-", " ")) is None
    assert not TourismLevyReturn.objects.exists()


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_second_original_is_refused_and_an_amendment_is_a_new_version(operator):
    owner = operator["owner"]
    first = file_levy_return(
        account=operator["inn"], period="2021-06", user=owner, gross="10000", collected="400"
    )
    with pytest.raises(service.TourismLevyAlreadyFiled) as raised:
        file_levy_return(account=operator["inn"], period="2021-06", user=owner, gross="1")
    assert raised.value.existing == first
    amended = service.tourism_levy_return_amend(
        original=first,
        levy_input=LevyInput(gross_revenue="11000", exempt={"long_stay": "1000"}, levy_collected="400"),
        certified_name="Olga",
        certified_capacity="Owner",
        actor=filer_actor(owner),
        replaces_version=1,
    )
    assert (amended.version, amended.kind, amended.amends) == (2, "amended", first)
    assert amended.amount_payable == Decimal("400.00")
    with pytest.raises(ValidationError) as stale:
        service.tourism_levy_return_amend(
            original=amended,
            levy_input=LevyInput(gross_revenue="1", exempt={}),
            certified_name="Olga",
            certified_capacity="Owner",
            actor=filer_actor(owner),
            replaces_version=1,
        )
    assert stale.value.code == "amended_meanwhile"


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_the_certification_is_required(operator):
    with pytest.raises(ValidationError) as raised:
        service.tourism_levy_return_submit(
            account=operator["inn"],
            period=period_of("2021-06"),
            levy_input=LevyInput(gross_revenue="1", exempt={}),
            certified_name=" ",
            certified_capacity="",
            actor=filer_actor(operator["owner"]),
        )
    assert raised.value.message_dict == {
        "certified_name": [str(TOURISM_LEVY_RETURN.certified_name_required)],
        "certified_capacity": [str(TOURISM_LEVY_RETURN.certified_capacity_required)],
    }


def test_the_periods_owed_follow_the_dated_frequency(db):
    """Monthly from opening on 2021-02-10 until quarterly from 2021-07-01: February to June, then Q3 and Q4."""
    account = establishment(opened=date(2021, 2, 10), quarterly_from=date(2021, 7, 1))
    keys = [period.key for period in periods_owed(account, date(2022, 1, 1))]
    assert keys == ["2021-02", "2021-03", "2021-04", "2021-05", "2021-06", "2021-Q3", "2021-Q4"]
    account.closed_on = date(2021, 8, 1)
    assert [period.key for period in periods_owed(account, date(2022, 1, 1))][-1] == "2021-Q3"
    assert TOURISM_LEVY_RETURN.period_on(account, date(2021, 8, 9)).key == "2021-Q3"
