"""The marked-fuel monthly report (issue 14, item 5): the month's totals by location and fuel and its inventory
summary before submitting, the submission through the filing skeleton (certified, confirmation number, e-mail,
PDF, access log), amended versions, a form sent twice, View Assessment Status, and the late rule as the program's
data say (filings/rules/marked_fuel_report.yaml)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry, OutboxEmail
from consent.privileges import Privilege
from filings import documents
from filings.claim_rules import RuleDataError
from filings.periods import Period
from filings.sales import ingestion, report, report_rules
from filings.sales.models_report import MarkedFuelReport
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.sales_helpers import MONTH, bflo, inventory_row, movement_row, sale_row, seller, web_row
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db

EDMONTON = ZoneInfo("America/Edmonton")
OCTOBER = Period.from_key(MONTH)
ON_TIME = datetime(2026, 11, 20, 10, 0, tzinfo=EDMONTON)
LATE = datetime(2026, 12, 3, 10, 0, tzinfo=EDMONTON)  # due Monday 2026-11-30 (the 28th is a Saturday)


@pytest.fixture
def account():
    registry()
    return seller()


@pytest.fixture
def filer(account):
    user = UserFactory()
    delegate_grant(
        account=account, user=user, privileges=[Privilege.FILE_RETURNS, Privilege.VIEW_ASSESSMENTS]
    )
    return user


def put(account, record_type, rows, month=OCTOBER):
    stored = ingestion.ingestion_rows(
        account=account,
        record_type=record_type,
        month=month.start,
        rows=[web_row(row) for row in rows],
        actor=actor_for(UserFactory()),
    )
    assert stored.rows_rejected == 0, list(stored.rejected_rows.values_list("reason", flat=True))
    return stored


def a_month(account):
    """October 2026 at two BFLOs: last month's closing count is October's opening; sales, movements, a count."""
    september = Period.from_key("2026-09")
    put(account, "inventory", [{**inventory_row(account), "month": "2026-09", "litres": "10000"}], september)
    put(
        account,
        "sales",
        [
            sale_row(account, "INV-1", litres="1000"),
            sale_row(account, "INV-2", litres="500.5"),
            sale_row(account, "INV-3", litres="200", fuel="marked_gasoline", bflo_number=bflo(account, 2)),
        ],
    )
    put(
        account,
        "movements",
        [
            movement_row(account, "BOL-1", litres="3000"),
            movement_row(account, "BOL-2", movement="export", jurisdiction="SK", litres="400"),
        ],
    )
    put(account, "inventory", [inventory_row(account, litres="11100")])


def test_the_months_totals_and_inventory_summary(account):
    a_month(account)
    summary = report.month_summary(account=account, period=OCTOBER)
    diesel, gasoline = summary.lines
    assert (diesel.location.number, diesel.fuel) == (bflo(account, 1), "marked_diesel")
    # 10,000 opening + 3,000 acquired - 1,500.5 sold - 400 exported = 11,099.5 computed; counted 11,100.
    assert (diesel.opening, diesel.acquired, diesel.sold, diesel.exported) == (
        Decimal("10000"),
        Decimal("3000"),
        Decimal("1500.5"),
        Decimal("400"),
    )
    assert diesel.closing_computed == Decimal("11099.5")
    assert diesel.difference == Decimal("0.5")
    assert (gasoline.location.number, gasoline.sold, gasoline.opening, gasoline.difference) == (
        bflo(account, 2),
        Decimal("200"),
        None,
        None,
    )
    assert summary.sales_count == 3
    assert summary.sales_litres == Decimal("1700.5")
    assert any("No opening inventory for BFLO" in warning for warning in summary.warnings)
    assert any("No closing inventory counted" in warning for warning in summary.warnings)
    assert summary.due_on == date(2026, 11, 30)


def test_a_first_month_asks_every_active_location_for_its_opening_count(account):
    first = Period.of(account.effective_date)
    put(account, "inventory", [{**inventory_row(account, count="opening"), "month": first.key}], first)
    summary = report.month_summary(account=account, period=first)
    assert summary.is_first_month
    assert len(summary.lines) == 4  # two active BFLOs x two fuels
    assert summary.lines[0].opening == Decimal("12000")
    assert sum("No opening inventory" in warning for warning in summary.warnings) == 3


@time_machine.travel(ON_TIME)
def test_the_report_is_submitted_certified_and_confirmed(account, filer):
    a_month(account)
    client = sign_in(Client(), filer)
    month_url = reverse("marked_fuel_report_month", kwargs={"number": account.number, "period": MONTH})
    page = client.get(month_url).content.decode()
    assert 'data-testid="month-totals"' in page
    assert "11,099.5" in page
    assert "3 sales, 1,700.5 litres" in page
    refused = client.post(month_url, {"step": "submit", "replaces_version": "0"})
    assert refused.status_code == 400
    assert not MarkedFuelReport.objects.exists()
    signed = {
        "step": "submit",
        "replaces_version": "0",
        "certified_name": "Olivia Owner",
        "certified_capacity": "President",
        "declaration": "on",
    }
    response = client.post(month_url, signed)
    filed = MarkedFuelReport.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/confirmation/{filed.confirmation_number}/")
    assert filed.confirmation_number.startswith("MF-202610-")
    assert (filed.sales_count, filed.sales_litres, filed.late_days, filed.due_on) == (
        3,
        Decimal("1700.500"),
        0,
        date(2026, 11, 30),
    )
    assert filed.lines.count() == 2
    assert AccessLogEntry.objects.filter(action="marked-fuel monthly report filed").exists()
    assert OutboxEmail.objects.filter(purpose="marked-fuel-report-confirmation").exists()
    confirmation = client.get(response["Location"]).content.decode()
    assert filed.confirmation_number in confirmation
    assert "11,099.5" in confirmation
    pdf = client.get(
        reverse(
            "marked_fuel_report_pdf",
            kwargs={"number": account.number, "report_number": filed.confirmation_number},
        )
    )
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert documents.confirmation_document_for(kind=documents.MARKED_FUEL_REPORT, pk=filed.pk) is not None

    # The same form sent again lands on the report already received, and stores nothing.
    again = client.post(month_url, signed)
    assert again.status_code == 302
    assert again["Location"] == response["Location"]
    assert MarkedFuelReport.objects.count() == 1

    # A late sale, then an amended report: version 2, linked to the original.
    put(account, "sales", [sale_row(account, "INV-4", litres="99")])
    amended = client.post(month_url, {**signed, "replaces_version": "1"})
    assert amended.status_code == 302
    latest = MarkedFuelReport.objects.get(version=2)
    assert (latest.kind, latest.amends, latest.sales_count) == ("amended", filed, 4)
    stale = client.post(month_url, {**signed, "replaces_version": "1"})
    assert stale.status_code == 302
    assert stale["Location"] == month_url
    assert MarkedFuelReport.objects.count() == 2
    assert "submitted again after you opened this page" in client.get(month_url).content.decode()

    status = client.get(reverse("assessment_status", kwargs={"number": account.number})).content.decode()
    assert "Marked-fuel monthly report, October 2026" in status
    assert "Amended marked-fuel report, October 2026, version 2" in status
    months = client.get(reverse("marked_fuel_reports", kwargs={"number": account.number})).content.decode()
    assert latest.confirmation_number in months
    assert "Amended, version 2" in months


@time_machine.travel(LATE)
def test_a_late_report_is_shown_late_and_costs_nothing_by_the_programs_data(account, filer):
    filed = report.marked_fuel_report_submit(
        account=account,
        period_end=OCTOBER.end,
        certified_name="Olivia Owner",
        certified_capacity="President",
        actor=actor_for(filer).acting_for(capacity="delegate"),
    )
    assert filed.late_days == 3
    assert report_rules.late_filing_penalty(due=filed.due_on, received_on=date(2026, 12, 3)) is None
    assert report_rules.late_filing_penalty(due=filed.due_on, received_on=filed.due_on) is None
    client = sign_in(Client(), filer)
    status = client.get(reverse("assessment_status", kwargs={"number": account.number})).content.decode()
    assert "Marked-fuel monthly report, October 2026 (received 3 days late)" in status
    months = report.months_for_account(account=account, today=date(2026, 12, 3))
    assert months[0].period == Period.from_key("2026-11")
    assert not months[0].is_overdue
    assert months[1].is_reported
    assert not months[1].is_overdue
    assert months[2].is_overdue  # September 2026: due 2026-10-28, not reported


@time_machine.travel(ON_TIME)
def test_a_month_not_ended_or_outside_the_account_is_refused(account, filer):
    client = sign_in(Client(), filer)
    november = reverse("marked_fuel_report_month", kwargs={"number": account.number, "period": "2026-11"})
    page = client.get(november).content.decode()
    assert "November 2026 has not ended yet" in page
    assert "Submit the report" not in page
    assert (
        client.post(
            november,
            {
                "step": "submit",
                "replaces_version": "0",
                "certified_name": "A",
                "certified_capacity": "B",
                "declaration": "on",
            },
        ).status_code
        == 400
    )
    for period_end, code in ((date(2023, 12, 31), "before_account"), (date(2026, 10, 15), "not_period_end")):
        with pytest.raises(ValidationError) as refused:
            report.marked_fuel_report_submit(
                account=account,
                period_end=period_end,
                certified_name="A",
                certified_capacity="B",
                actor=actor_for(filer).acting_for(capacity="delegate"),
            )
        assert refused.value.code == code
    account.closed_on = date(2025, 1, 31)
    with pytest.raises(ValidationError, match="closed on 2025-01-31"):
        report.month_check(account=account, period=OCTOBER, today=date(2026, 11, 20))
    fuel_tax = ProgramAccountFactory(program="fuel_tax")
    with pytest.raises(ValidationError, match="does not report marked-fuel sales"):
        report.month_check(account=fuel_tax, period=OCTOBER, today=date(2026, 11, 20))
    assert (
        client.post(
            reverse("marked_fuel_report_month", kwargs={"number": account.number, "period": MONTH}),
            {
                "step": "submit",
                "replaces_version": "x",
                "certified_name": "A",
                "certified_capacity": "B",
                "declaration": "on",
            },
        ).status_code
        == 302
    )  # not a version: refused as sent meanwhile, back to the month


def test_a_report_of_another_account_is_not_found(account, filer):
    other = seller()
    owner = UserFactory()
    owner_grant(account=other, user=owner)
    with time_machine.travel(ON_TIME):
        filed = report.marked_fuel_report_submit(
            account=other,
            period_end=OCTOBER.end,
            certified_name="A",
            certified_capacity="B",
            actor=actor_for(owner).acting_for(capacity="owner"),
        )
    client = sign_in(Client(), filer)
    for name in ("marked_fuel_report_confirmation", "marked_fuel_report_pdf"):
        found = client.get(
            reverse(name, kwargs={"number": account.number, "report_number": filed.confirmation_number})
        )
        assert found.status_code == 404


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("references: {}\n", "missing"),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: 28, source: b}]\nlate_filing_penalty: []\n",
            "not in references",
        ),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: x, source: a}]\nlate_filing_penalty: []\n",
            "whole number",
        ),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: 31, source: a}]\nlate_filing_penalty: []\n",
            "1st to the 28th",
        ),
        (
            "references: {a: x}\ndue: [{from: x, day_of_following_month: 28, source: a}]\nlate_filing_penalty: []\n",
            "must be a date",
        ),
        ("references: {a: x}\ndue: []\nlate_filing_penalty: []\n", "strictly increasing"),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: 28, source: a}]\nlate_filing_penalty: [{from: 2007-01-01, value: 1, source: b}]\n",
            "not in references",
        ),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: 28, source: a}]\nlate_filing_penalty: [{from: 2007-01-01, value: abc, source: a}]\n",
            "amount or null",
        ),
        (
            "references: {a: x}\ndue: [{from: 2007-01-01, day_of_following_month: 28, source: a}]\nlate_filing_penalty: [{from: 2007-01-01, value: -1, source: a}]\n",
            "not negative",
        ),
    ],
)
def test_a_malformed_rules_file_stops_the_process(tmp_path, text, message):
    path = tmp_path / "marked_fuel_report.yaml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        report_rules.parse(path)


def test_the_rules_in_force_are_chosen_by_date(tmp_path):
    path = tmp_path / "marked_fuel_report.yaml"
    path.write_text(
        "references: {a: x}\n"
        "due: [{from: 2007-01-01, day_of_following_month: 28, source: a}, {from: 2030-01-01, day_of_following_month: 15, source: a}]\n"
        "late_filing_penalty: [{from: 2007-01-01, value: null, source: a}, {from: 2030-01-01, value: '50.00', source: a}]\n"
    )
    rules = report_rules.parse(path)
    assert [entry.rule.number for entry in rules.due] == [28, 15]
    assert [entry.value for entry in rules.late_filing_penalty] == [None, Decimal("50.00")]
    assert report_rules.due_on(Period.from_key("2006-05")) == date(2006, 6, 28)  # before the first: the first


@time_machine.travel(ON_TIME)
def test_two_reports_racing_for_a_month_store_one(account, filer, monkeypatch):
    """The second of two submissions read the month before the first committed: the unique constraints refuse its
    insert; a first report is answered with the report already filed, an amendment with "sent meanwhile"."""
    actor = actor_for(filer).acting_for(capacity="delegate")
    signed = {"account": account, "period_end": OCTOBER.end, "certified_name": "A", "certified_capacity": "B"}
    first = report.marked_fuel_report_submit(**signed, actor=actor)
    assert str(first).startswith(first.confirmation_number)
    assert report.MARKED_FUEL_REPORT.described(first) == "marked-fuel monthly report for October 2026"
    real = report.reports_for_period
    seen: list[list[MarkedFuelReport]] = []

    def read_as_before(**kwargs):
        """The first read sees the month as it was before the other submission; later reads see it now."""
        versions = real(**kwargs)
        seen.append(versions)
        return versions[:-1] if len(seen) == 1 else versions

    monkeypatch.setattr(report, "reports_for_period", read_as_before)
    with pytest.raises(report.ReportAlreadyFiled) as second:
        report.marked_fuel_report_submit(**signed, actor=actor)
    assert second.value.existing == first
    monkeypatch.setattr(report, "reports_for_period", real)
    report.marked_fuel_report_submit(**signed, actor=actor, replaces_version=1)
    seen.clear()
    monkeypatch.setattr(report, "reports_for_period", read_as_before)
    with pytest.raises(ValidationError, match="submitted again"):
        report.marked_fuel_report_submit(**signed, actor=actor, replaces_version=1)
    assert MarkedFuelReport.objects.count() == 2
