"""PROP rebate claims through the services (filings.claims with filings/definitions/prop_lines.py): the worked
rebate before the program's end, the end and the claim window at their edges, every refusal beside its field
with nothing saved, and the database's guard on overlapping and over-long periods."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from filings import claims
from filings.claims import (
    ClaimLineInput,
    ClaimLinesInvalid,
    claim_preview,
    claim_submit,
    submission_token_new,
)
from filings.definitions import prop_lines
from filings.definitions.claim_lines import OUTSIDE_WINDOW, RATE_NOT_ON_FILE
from filings.definitions.prop_lines import (
    ACTIVITY_REQUIRED,
    NO_PERCENTAGE,
    PERCENTAGE_CHANGED,
    PERIOD_IN_FUTURE,
    PERIOD_OVERLAPS,
    PERIOD_REQUIRED,
    PERIOD_TOO_LONG,
    PROP_CLOSED,
    PROP_ENDED,
    RATE_CHANGED,
    SECTOR_REQUIRED,
    VEHICLE_CATEGORY_REQUIRED,
    Percentage,
)
from filings.models import Claim, ClaimLine
from filings.periods import Period
from programs.rates import Rate
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, filer_actor

PROP = Claim.Kind.PROP
HAULING = {
    "sector": "oil_and_gas",
    "activity": "hauling_crude_lpg_production_fluids",
    "vehicle_category": "licensed_vehicle",
}


def prop_line(fuel="clear_diesel", litres="10000", **category) -> ClaimLineInput:
    return ClaimLineInput(fuel=fuel, litres=litres, document_number="Unit 7", **{**HAULING, **category})


def span(start: str, end: str) -> Period:
    return Period.span(date.fromisoformat(start), date.fromisoformat(end))


@pytest.fixture
def prop_account(db):
    return ProgramAccountFactory(
        program="prop", taxpayer__legal_name="Muskeg Fluid Hauling Ltd.", effective_date=date(2006, 11, 29)
    )


@pytest.fixture
def prop_owner(prop_account):
    user = UserFactory(full_name="Pat Prop")
    owner_grant(account=prop_account, user=user)
    return user


def file_prop(account, user, period, *lines):
    return claim_submit(
        account=account,
        kind=PROP,
        lines=list(lines) or [prop_line()],
        certified_name=user.display_name,
        certified_capacity="Controller",
        actor=filer_actor(user),
        submission_token=submission_token_new(),
        period=period,
    )


def refused(account, period, *lines, today) -> ClaimLinesInvalid:
    with pytest.raises(ClaimLinesInvalid) as caught:
        claim_preview(
            account=account, kind=PROP, lines=list(lines) or [prop_line()], today=today, period=period
        )
    return caught.value


def test_a_prop_account_files_prop_claims_only(prop_account):
    assert claims.claim_kinds_for(account=prop_account) == (PROP,)
    assert claims.claim_kinds_for(account=ProgramAccountFactory(program="fuel_tax")) == (
        Claim.Kind.FUEL_TAX_REFUND,
        Claim.Kind.INVENTORY_DECLARATION,
    )


def test_a_claim_before_the_end_date_earns_litres_x_percentage_x_rate(prop_account, prop_owner):
    """Filed 2010-03-15 for 2009-01-01 to 2009-12-31, oil and gas, hauling crude oil, LPG or production
    fluids (42%, unverified), clear fuel tax $0.09/L: the refund per litre is $0.09 x 42% = $0.0378;
    10,000 L clear diesel x $0.0378 = $378.00; 2,345.678 L clear gasoline x $0.0378 = $88.6666284 -> $88.67
    (half up, per line); total $466.67. Its window runs from the period's first day: no later than 3 years
    from the end of 2009, 2012-12-31."""
    with time_machine.travel(edmonton(2010, 3, 15), tick=False):
        claim = file_prop(
            prop_account,
            prop_owner,
            span("2009-01-01", "2009-12-31"),
            prop_line(),
            prop_line("clear_gasoline", "2345.678"),
        )
    assert (claim.kind, claim.period_start, claim.period_end) == (PROP, date(2009, 1, 1), date(2009, 12, 31))
    assert claim.total_refund == Decimal("466.67")
    assert claim.confirmation_number.startswith("PR-201003-")
    assert claim.claim_period == span("2009-01-01", "2009-12-31")
    rows = list(
        claim.lines.values_list(
            "fuel",
            "litres",
            "percentage",
            "percentage_from",
            "rate_value",
            "rate_effective_from",
            "refund",
            "deadline",
        )
    )
    assert rows == [
        ("clear_diesel", Decimal("10000.000"), Decimal("42.00"), date(2006, 11, 29), Decimal("0.037800"),
         date(2006, 11, 29), Decimal("378.00"), date(2012, 12, 31)),
        ("clear_gasoline", Decimal("2345.678"), Decimal("42.00"), date(2006, 11, 29), Decimal("0.037800"),
         date(2006, 11, 29), Decimal("88.67"), date(2012, 12, 31)),
    ]  # fmt: skip
    assert claim.lines.first().purchase_date == date(2009, 1, 1)


def test_a_claim_after_the_end_date_is_refused_beside_the_period_end(prop_account):
    """PROP ended for fuel purchased or used after 2011-02-24 (from 12:01 a.m. 2011-02-25): a period to
    2011-02-24 is claimed (1,000 L x $0.0378 = $37.80), one to 2011-02-25 is refused."""
    today = date(2011, 5, 2)
    assert (
        claim_preview(
            account=prop_account, kind=PROP, lines=[prop_line(litres="1000")], today=today,
            period=span("2011-01-01", "2011-02-24"),
        ).total
        == Decimal("37.80")
    )  # fmt: skip
    error = refused(prop_account, span("2011-01-01", "2011-02-25"), today=today)
    assert error.period_errors == {
        "period_end": str(PROP_ENDED % {"last_day": "2011-02-24", "ended": "2011-02-25"})
    }
    assert not Claim.objects.exists()


def test_a_prop_claim_today_is_refused_with_both_reasons(db):
    """The last fuel PROP covered was bought on 2011-02-24; 3 years from the end of 2011: 2014-12-31."""
    open_day = prop_lines.prop_kind_window(today=date(2014, 12, 31))
    assert open_day.is_open
    closed = claims.claim_kind_window(kind=PROP, today=date(2015, 1, 1))
    assert closed.receive_by == date(2014, 12, 31)
    assert closed.message == str(
        PROP_CLOSED
        % {
            "last_day": "2011-02-24",
            "ended": "2011-02-25",
            "rule": "no later than 3 years from the end of the year of the purchase",
            "receive_by": "2014-12-31",
        }
    )
    today = claims.claim_kind_window(kind=PROP, today=date(2026, 12, 3))
    assert not today.is_open
    assert "ended for fuel purchased or used after 2011-02-24" in today.message
    assert "no later than 2014-12-31" in today.message
    assert prop_lines.prop_kind_window(today=date(2005, 6, 1)).is_open  # before any window: nothing closed


def test_each_line_keeps_its_claim_window_from_the_period_start(prop_account):
    """A period from 2007-06-01: received no later than 2010-12-31; on 2011-01-01 it is too late."""
    period = span("2007-06-01", "2007-12-31")
    assert claim_preview(
        account=prop_account, kind=PROP, lines=[prop_line()], today=date(2010, 12, 31), period=period
    )
    error = refused(prop_account, period, today=date(2011, 1, 1))
    assert error.errors_by_line == {
        0: {
            "purchase_date": str(
                OUTSIDE_WINDOW
                % {
                    "reason": "PROP rebate claim",
                    "rule": "no later than 3 years from the end of the year of the purchase",
                    "anchor_date": "2007-06-01",
                    "deadline": "2010-12-31",
                }
            )
        }
    }


def test_a_category_without_a_prescribed_percentage_is_refused_beside_it(prop_account, prop_owner):
    """'Another activity' has no prescribed percentage; nor has hauling before its start (2006-11-29)."""
    with time_machine.travel(edmonton(2010, 3, 15), tick=False), pytest.raises(ClaimLinesInvalid) as caught:
        file_prop(
            prop_account, prop_owner, span("2009-01-01", "2009-12-31"), prop_line(activity="not_listed")
        )
    assert caught.value.errors_by_line == {
        0: {
            "activity": str(
                NO_PERCENTAGE
                % {
                    "sector": "Oil and gas",
                    "activity": "Another activity (no prescribed percentage; claimed under the TEFU rebate)",
                    "vehicle": "Licensed vehicle (TEFU-2R3's vehicle categories not found)",
                    "start": "2009-01-01",
                    "end": "2009-12-31",
                }
            )
        }
    }
    assert not Claim.objects.exists()
    assert not ClaimLine.objects.exists()
    early = refused(prop_account, span("2006-11-28", "2006-12-31"), today=date(2007, 2, 1))
    assert "2006-11-28" in early.errors_by_line[0]["activity"]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (prop_line(litres="-5"), "litres", "negative"),
        (prop_line(litres="0"), "litres", "more than zero"),
        (prop_line(sector=""), "sector", str(SECTOR_REQUIRED)),
        (prop_line(activity="whale_watching"), "activity", str(ACTIVITY_REQUIRED)),
        (prop_line(vehicle_category=""), "vehicle_category", str(VEHICLE_CATEGORY_REQUIRED)),
        (prop_line(fuel="propane"), "fuel", "cannot be claimed"),
    ],
)
def test_bad_lines_are_refused_beside_their_field(prop_account, line, field, message):
    error = refused(prop_account, span("2009-01-01", "2009-12-31"), line, today=date(2010, 3, 15))
    assert list(error.errors_by_line[0]) == [field]
    assert message.lower() in error.errors_by_line[0][field].lower()


@pytest.mark.parametrize(
    ("period", "errors"),
    [
        (None, {"period_start": str(PERIOD_REQUIRED)}),
        # 12 months from 2009-01-15 end before 2010-01-15; from 2008-02-29, before 2009-03-01.
        (span("2009-01-15", "2010-01-15"), {"period_end": str(PERIOD_TOO_LONG % {"start": "2009-01-15", "limit": "2010-01-15"})}),
        (span("2008-02-29", "2009-03-01"), {"period_end": str(PERIOD_TOO_LONG % {"start": "2008-02-29", "limit": "2009-03-01"})}),
        (span("2010-01-01", "2010-03-16"), {"period_end": str(PERIOD_IN_FUTURE % {"today": "2010-03-15"})}),
    ],
)  # fmt: skip
def test_a_period_over_12_months_missing_or_not_ended_is_refused(prop_account, period, errors):
    assert refused(prop_account, period, today=date(2010, 3, 15)).period_errors == errors


def test_twelve_months_exactly_are_a_period(prop_account):
    for period in (span("2009-01-15", "2010-01-14"), span("2008-02-29", "2009-02-28")):
        assert claim_preview(
            account=prop_account, kind=PROP, lines=[prop_line()], today=date(2010, 3, 15), period=period
        )


def test_an_overlapping_period_is_refused_and_an_adjacent_one_filed(prop_account, prop_owner):
    with time_machine.travel(edmonton(2010, 3, 15), tick=False):
        first = file_prop(prop_account, prop_owner, span("2009-01-01", "2009-06-30"))
        with pytest.raises(ClaimLinesInvalid) as caught:
            file_prop(prop_account, prop_owner, span("2009-06-30", "2009-12-31"))
        assert caught.value.period_errors == {
            "period_start": str(
                PERIOD_OVERLAPS
                % {"confirmation": first.confirmation_number, "start": "2009-01-01", "end": "2009-06-30"}
            )
        }
        file_prop(prop_account, prop_owner, span("2009-07-01", "2009-12-31"))
    assert Claim.objects.filter(kind=PROP).count() == 2
    # Another account's periods are its own.
    other = ProgramAccountFactory(program="prop", effective_date=date(2006, 11, 29))
    assert claim_preview(
        account=other,
        kind=PROP,
        lines=[prop_line()],
        today=date(2010, 3, 15),
        period=span("2009-01-01", "2009-06-30"),
    )
    # The claim being assessed again does not overlap itself.
    assert claim_preview(
        account=prop_account, kind=PROP, lines=[prop_line()], today=date(2010, 3, 15),
        period=span("2009-01-01", "2009-06-30"), excluding=first.pk,
    )  # fmt: skip


def test_the_database_refuses_overlapping_and_over_long_periods(prop_account, prop_owner):
    """Written past the service: the exclusion constraint and the 12-month check still hold."""
    with time_machine.travel(edmonton(2010, 3, 15), tick=False):
        first = file_prop(prop_account, prop_owner, span("2009-01-01", "2009-06-30"))

    def copy(**changes):
        row = Claim.objects.get(pk=first.pk)
        row.pk = None
        row.confirmation_number = (
            f"PR-201003-{len(changes)}X{changes.get('period_end', date(2000, 1, 1)).day:04d}"
        )
        row.submission_token = submission_token_new()
        for key, value in changes.items():
            setattr(row, key, value)
        with transaction.atomic():
            row.save()

    with pytest.raises(IntegrityError, match="claim_prop_periods_do_not_overlap"):
        copy(period_start=date(2009, 6, 30), period_end=date(2009, 12, 31))
    with pytest.raises(IntegrityError, match="claim_period_only_on_prop_and_at_most_12_months"):
        copy(period_start=date(2010, 1, 1), period_end=date(2011, 1, 2))
    with pytest.raises(IntegrityError, match="claim_period_only_on_prop_and_at_most_12_months"):
        copy(kind=Claim.Kind.FUEL_TAX_REFUND, period_start=date(2010, 1, 1), period_end=date(2010, 2, 1))
    copy(period_start=date(2010, 1, 1), period_end=date(2010, 12, 31))


def test_a_race_to_an_overlapping_period_is_refused_like_the_check(prop_account, prop_owner, monkeypatch):
    """The preview saw no overlap, then another claim of the period committed: the exclusion constraint
    refuses the insert, and the claimant reads the same words beside the period."""
    with time_machine.travel(edmonton(2010, 3, 15), tick=False):
        first = file_prop(prop_account, prop_owner, span("2009-01-01", "2009-06-30"))
        checks = iter([{}])
        real = claims.claim_period_errors
        monkeypatch.setattr(claims, "claim_period_errors", lambda **kw: next(checks, None) or real(**kw))
        with pytest.raises(ClaimLinesInvalid) as caught:
            file_prop(prop_account, prop_owner, span("2009-03-01", "2009-09-30"))
    assert first.confirmation_number in caught.value.period_errors["period_start"]
    assert Claim.objects.count() == 1


def test_a_percentage_or_rate_that_changed_within_the_period_is_refused(prop_account, monkeypatch):
    """One value must apply to the whole period: a percentage from 2009-07-01 (made up for the test), or a
    rate from 2009-07-01, splits a 2009 period in two claims."""
    data = prop_lines.prop_data()
    key = tuple(HAULING.values())
    changed = Percentage(date(2009, 7, 1), Decimal("50"), "test", False)
    monkeypatch.setattr(
        prop_lines,
        "prop_data",
        lambda: type(data)(**{**data.__dict__, "percentages": {key: (*data.percentages[key], changed)}}),
    )
    error = refused(prop_account, span("2009-01-01", "2009-12-31"), today=date(2010, 3, 15))
    assert error.errors_by_line[0] == {"activity": str(PERCENTAGE_CHANGED % {"day": "2009-07-01"})}
    monkeypatch.undo()

    def rate_on(*, fuel, day, tax):
        return Rate(
            tax, fuel, date(2009, 7, 1) if day >= date(2009, 7, 1) else date(2006, 1, 1), Decimal("0.09"), "s"
        )

    monkeypatch.setattr(prop_lines, "rate_on", rate_on)
    error = refused(prop_account, span("2009-01-01", "2009-12-31"), today=date(2010, 3, 15))
    assert error.errors_by_line[0] == {
        "fuel": str(RATE_CHANGED % {"fuel": "Clear diesel", "day": "2009-07-01"})
    }


def test_no_rate_on_file_is_refused_beside_the_fuel(prop_account, monkeypatch):
    from programs.rates import RateNotFound

    def rate_on(**kwargs):
        raise RateNotFound("none")

    monkeypatch.setattr(prop_lines, "rate_on", rate_on)
    error = refused(prop_account, span("2009-01-01", "2009-12-31"), today=date(2010, 3, 15))
    assert error.errors_by_line[0] == {
        "fuel": str(RATE_NOT_ON_FILE % {"fuel": "Clear diesel", "day": "2009-01-01"})
    }


def test_the_percentages_are_marked_unverified_with_their_sources():
    data = prop_lines.prop_data()
    (percentage,) = data.percentages[tuple(HAULING.values())]
    assert (percentage.value, percentage.effective_from, percentage.verified) == (
        Decimal("42"),
        date(2006, 11, 29),
        False,
    )
    assert percentage.source.startswith("UNVERIFIED")
    assert data.ended == date(2011, 2, 25)
    assert not data.sectors["oil_and_gas"].verified
    assert data.percentage_on(**HAULING, day=date(2011, 2, 25)) is None


BASE = """references: {s: x}
fuels: [clear_diesel]
ended: {from: 2011-02-25, source: s}
sectors: {a: {label: A}}
activities: {b: {label: B}}
vehicle_categories: {c: {label: C}}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("references: {}\n", "missing"),
        (BASE.replace("source: s}", "source: t}"), "ended needs a date"),
        (BASE.replace("sectors: {a: {label: A}}", "sectors: {}"), "at least one"),
        (BASE.replace("{label: A}", "{label: A, verified: maybe}"), "true or false"),
        (BASE + "percentages: [{sector: z, activity: b, vehicle_category: c, values: []}]", "listed above"),
        (BASE + "percentages: [{sector: a, activity: b, vehicle_category: c, values: []}]", "values must be given"),
        (BASE + "percentages: [{sector: a, activity: b, vehicle_category: c, values: [{from: 2012-01-01, value: '4', source: s}]}]", "before the program's end"),
        (BASE + "percentages: [{sector: a, activity: b, vehicle_category: c, values: [{from: 2010-01-01, value: '4', source: q}]}]", "not in references"),
        (BASE + "percentages: [{sector: a, activity: b, vehicle_category: c, values: [{from: 2010-01-01, value: '140', source: s}]}]", "at most 100"),
        (BASE + "percentages: [{sector: a, activity: b, vehicle_category: c, values: [{from: 2010-01-01, value: 'x', source: s}]}]", "at most 100"),
        (BASE + "percentages:\n  - {sector: a, activity: b, vehicle_category: c, values: [{from: 2010-01-01, value: '4', source: s}]}\n  - {sector: a, activity: b, vehicle_category: c, values: [{from: 2010-01-01, value: '4', source: s}]}", "given twice"),
    ],
)  # fmt: skip
def test_malformed_prop_data_is_refused_at_start_up(tmp_path, body, message):
    path = tmp_path / "prop.yaml"
    path.write_text(body)
    with pytest.raises(prop_lines.RuleDataError, match=message):
        prop_lines._parse(path)
