"""The Sales Summary of a marked-fuel seller (issue 15, item 3; assessments/cycles/selectors.py, views.py,
exports.py): a claim period chosen from "Claim Amount: Period End", its AFFB sales by fuel and rate (the cycle's
own rule), the claim, assessment and refund or the estimate so far, and "Generate Excel" built by a job."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django import forms
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from assessments.cycles import exports, selectors, services
from assessments.cycles.forms import BAD_PERIOD, PeriodEndSelect
from assessments.cycles.models import SalesSummaryExport
from consent.privileges import Privilege
from filings.models import Claim
from filings.periods import Period, PeriodKind
from tests.accounts.factories import UserFactory
from tests.assessments.cycle_helpers import JUNE_2019, MARCH_2018, NEXT, after, during, sale, tefs_seller
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant, owner_grant

JOB = Actor.job("refund_cycle_due")
Status = SalesSummaryExport.Status


def run(period: Period):
    with time_machine.travel(after(period), tick=False):
        return services.cycle_run(period=period, actor=JOB)


def page_url(account, period: Period | None = None, **query) -> str:
    url = reverse("marked_fuel_sales_summary", kwargs={"number": account.number})
    if period is not None:
        query["period"] = period.start.isoformat()
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


@pytest.fixture
def seller(db):
    return tefs_seller("Prairie Fuels Ltd.")


@pytest.fixture
def owner(seller):
    person = UserFactory()
    owner_grant(account=seller, user=person)
    return person


@pytest.fixture
def owner_client(client, owner):
    return sign_in(client, owner)


def test_a_paid_period_shows_its_sales_by_fuel_and_rate_and_the_claim_assessment_and_refund(
    seller, owner_client
):
    """1,000 L marked diesel x $0.0803 = $80.30; 500.5 L marked gasoline x $0.0673 = $33.68; refund $113.98. A TEFU
    sale and a sale accepted the next period are not counted (the cycle's rule)."""
    sale(seller, accepted=during(MARCH_2018, 1))
    sale(seller, accepted=during(MARCH_2018, 5), fuel="marked_gasoline", litres="500.5")
    sale(seller, accepted=during(MARCH_2018, 6), exemption_kind="tefu", litres="9999")
    sale(seller, accepted=during(NEXT, 0, hour=0))
    run(MARCH_2018)

    page = owner_client.get(page_url(seller, MARCH_2018))

    assert page.status_code == 200
    summary = page.context["summary"]
    assert [
        (line.fuel, line.rate, line.rate_from, line.sales, line.litres, line.levy) for line in summary.lines
    ] == [
        ("marked_diesel", Decimal("0.080300"), date(2018, 1, 1), 1, Decimal("1000.000"), Decimal("80.30")),
        ("marked_gasoline", Decimal("0.067300"), date(2018, 1, 1), 1, Decimal("500.500"), Decimal("33.68")),
    ]
    assert summary.refund == Decimal("113.98") == summary.cycle_claim.levy
    assert not summary.is_estimate
    text = page.content.decode()
    claim = summary.cycle_claim.claim
    assert claim.confirmation_number in text
    assert f"#filing-{claim.confirmation_number}" in text
    assert "$113.98 allowed" in text
    assert "issued on" in text
    assert "Estimate so far" not in text
    assert "Claim Amount: Period End" in text
    status = owner_client.get(reverse("assessment_status", kwargs={"number": seller.number})).content.decode()
    assert f'id="filing-{claim.confirmation_number}"' in status
    assert status.count(claim.confirmation_number) == 3  # the row's anchor and reference, and its refund's


def test_the_claim_link_lands_on_the_status_page_that_holds_the_claim(seller, owner_client):
    """View Assessment Status shows 25 groups a page, newest first: a claim with 25 filings completed after it is on
    page 2, and the link says which claim (?filing=), so the status page opens at its page."""
    sale(seller, accepted=during(MARCH_2018, 1))
    run(MARCH_2018)
    claim = Claim.objects.get(account=seller)
    for number in range(1, 26):  # later claims, completed: copies of it, each of its own period
        later = Claim.objects.get(pk=claim.pk)
        later.pk = later.id = None
        later.confirmation_number = f"LATER{number:04d}"
        later.submission_token = uuid.uuid4()
        later.period_start = claim.period_start + timedelta(days=14 * number)
        later.period_end = claim.period_end + timedelta(days=14 * number)
        later.received_at = claim.received_at + timedelta(days=14 * number)
        later.save()

    page = owner_client.get(page_url(seller, MARCH_2018))
    href = re.search(r'<a href="([^"]+)" data-testid="claim-link">', page.content.decode())[1]
    status = owner_client.get(href.split("#")[0])

    assert href.endswith(f"?filing={claim.confirmation_number}#filing-{claim.confirmation_number}")
    assert status.context["page"].number == 2
    assert f'id="filing-{claim.confirmation_number}"' in status.content.decode()
    status_url = reverse("assessment_status", kwargs={"number": seller.number})
    plain = owner_client.get(status_url)
    assert plain.context["page"].number == 1
    assert f'id="filing-{claim.confirmation_number}"' not in plain.content.decode()
    assert owner_client.get(f"{status_url}?filing=NOPE").context["page"].number == 1


def test_the_period_end_list_is_djangos_select_with_the_chosen_period_selected():
    """The cached options render as Django's own Select does: the same options, the chosen one selected, labels
    escaped, the field's attributes (its id, aria-invalid on an error) kept."""
    choices = [("2018-03-12", "2018-03-25 (current period, not ended)"), ("2018-02-26", "2018-03-11 <&>")]
    attrs = {"id": "id_period", "aria-invalid": "true"}
    ours = PeriodEndSelect(choices=choices).render("period", "2018-02-26", attrs)
    django = forms.Select(choices=choices).render("period", "2018-02-26", attrs)

    def options(html: str) -> list[str]:
        return re.findall(r"<option[^>]*>[^<]*</option>", html)

    assert options(ours) == options(django)
    assert '<option value="2018-02-26" selected>2018-03-11 &lt;&amp;&gt;</option>' in ours
    assert re.match(r'<select name="period" id="id_period" aria-invalid="true">', ours)
    assert "selected" not in PeriodEndSelect(choices=choices).render("period", "2018-01-01", attrs)


def test_the_summary_equals_what_the_cycle_computed_with_a_correction_taken_back(seller, owner_client):
    """Paid in March (1,000 L diesel, $80.30); amended in the next period to 400 L: the next period counts the
    amendment (400 x 0.0803 = $32.12) and takes the March sale back ($80.30): refund -$48.18."""
    paid = sale(seller, accepted=during(MARCH_2018, 1), sale_date=date(2018, 3, 13))
    run(MARCH_2018)
    sale(
        seller,
        accepted=during(NEXT, 2),
        corrects=paid,
        kind="amendment",
        litres="400",
        sale_date=paid.sale_date,
    )
    run(NEXT)

    summary = owner_client.get(page_url(seller, NEXT)).context["summary"]

    assert (summary.levy, summary.taken_back, summary.corrections) == (Decimal("32.12"), Decimal("80.30"), 1)
    assert summary.levy == summary.cycle_claim.levy
    assert -summary.taken_back == summary.cycle_claim.adjustment


def test_a_period_not_run_yet_shows_the_estimate_so_far_labelled_not_claimed(seller, owner_client):
    sale(seller, accepted=during(MARCH_2018, 1))

    page = owner_client.get(page_url(seller, MARCH_2018))

    assert page.context["summary"].is_estimate
    text = page.content.decode()
    assert "Estimate so far: not yet claimed." in text
    assert "Refund (estimate so far)" in text
    assert "$80.30" in text


def test_the_current_period_is_offered_and_shown_as_so_far(seller, owner_client):
    with time_machine.travel(during(MARCH_2018, 4), tick=False):
        sale(seller, accepted=during(MARCH_2018, 1))
        page = owner_client.get(page_url(seller))
        choices = dict(page.context["form"].fields["period"].choices)
    assert choices[MARCH_2018.start.isoformat()] == "2018-03-25 (current period, not ended)"
    assert page.context["summary"].period == MARCH_2018.previous()  # by default: the latest ended period
    with time_machine.travel(during(MARCH_2018, 4), tick=False):
        current = owner_client.get(page_url(seller, MARCH_2018))
    assert current.context["summary"].is_current
    assert "This claim period ends on 2018-03-25" in current.content.decode()


def test_sales_after_the_repeal_earn_nil(seller, owner_client):
    sale(seller, accepted=during(JUNE_2019, 1))
    run(JUNE_2019)

    page = owner_client.get(page_url(seller, JUNE_2019))

    (line,) = page.context["summary"].lines
    assert (line.rate, line.rate_from, line.sales, line.levy) == (None, date(2019, 5, 30), 1, Decimal("0.00"))
    text = page.content.decode()
    assert "nil (carbon levy repealed from 2019-05-30)" in text
    assert "None: no carbon levy to refund" in text


def test_a_day_that_starts_no_claim_period_is_refused_clearly(seller, owner_client):
    page = owner_client.get(
        reverse("marked_fuel_sales_summary", kwargs={"number": seller.number}) + "?period=2018-03-13"
    )
    assert page.status_code == 400
    assert str(BAD_PERIOD) in page.content.decode()
    post = owner_client.post(
        reverse("marked_fuel_sales_summary_excel", kwargs={"number": seller.number}), {"period": "2018-03-13"}
    )
    assert post.status_code == 400
    assert not SalesSummaryExport.objects.exists()


def test_another_sellers_account_and_its_exports_are_404(seller, owner_client):
    theirs = tefs_seller("Aspen Co-op")
    export = SalesSummaryExport.objects.create(
        account=theirs, period_start=MARCH_2018.start, period_end=MARCH_2018.end, requested_at=timezone.now()
    )
    assert owner_client.get(page_url(theirs, MARCH_2018)).status_code == 404
    for name in ("marked_fuel_sales_summary_excel_status", "marked_fuel_sales_summary_excel_download"):
        # Asked on the seller's own account, but the export is another account's: not found either.
        url = reverse(name, kwargs={"number": seller.number, "export_id": export.pk})
        assert owner_client.get(url).status_code == 404


def test_each_page_refuses_a_person_without_the_marked_fuel_report_function(seller, client):
    delegate = UserFactory()
    delegate_grant(account=seller, user=delegate, privileges=(Privilege.VIEW_ACCOUNT,))
    export = SalesSummaryExport.objects.create(
        account=seller, period_start=MARCH_2018.start, period_end=MARCH_2018.end, requested_at=timezone.now()
    )
    sign_in(client, delegate)
    kwargs = {"number": seller.number}
    assert client.get(page_url(seller, MARCH_2018)).status_code == 403
    excel = reverse("marked_fuel_sales_summary_excel", kwargs=kwargs)
    assert client.post(excel, {"period": MARCH_2018.start.isoformat()}).status_code == 403
    for name in ("marked_fuel_sales_summary_excel_status", "marked_fuel_sales_summary_excel_download"):
        assert client.get(reverse(name, kwargs={**kwargs, "export_id": export.pk})).status_code == 403
    assert SalesSummaryExport.objects.count() == 1
    assert (
        AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.DENIED, account_number=seller.number).count()
        == 4
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_query_count_does_not_grow_with_sales(seller, owner_client):
    sale(seller, accepted=during(MARCH_2018, 1))
    run(MARCH_2018)
    other = NEXT.next()
    for n in range(100):
        sale(seller, accepted=during(other, n % 14), fuel="marked_gasoline" if n % 3 else "marked_diesel")
    run(other)
    owner_client.get(page_url(seller, MARCH_2018))  # warm: sessions, content types

    one, hundred = (
        _queries(owner_client, page_url(seller, MARCH_2018)),
        _queries(owner_client, page_url(seller, other)),
    )

    assert hundred == one


def test_generate_excel_builds_the_workbook_in_a_job_and_offers_it(
    seller, owner, owner_client, django_capture_on_commit_callbacks
):
    sale(seller, accepted=during(MARCH_2018, 1))
    sale(seller, accepted=during(MARCH_2018, 5), fuel="marked_gasoline", litres="500.5")
    run(MARCH_2018)
    excel = reverse("marked_fuel_sales_summary_excel", kwargs={"number": seller.number})

    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(excel, {"period": MARCH_2018.start.isoformat()})

    assert answer.status_code == 302
    assert answer["Location"].endswith(f"?period={MARCH_2018.start.isoformat()}#excel")
    export = SalesSummaryExport.objects.get()
    assert (export.status, export.requested_by, export.rows) == (Status.READY, owner, 2)
    page = owner_client.get(answer["Location"].split("#")[0])
    download = reverse(
        "marked_fuel_sales_summary_excel_download", kwargs={"number": seller.number, "export_id": export.pk}
    )
    assert download in page.content.decode()
    status = owner_client.get(
        reverse(
            "marked_fuel_sales_summary_excel_status", kwargs={"number": seller.number, "export_id": export.pk}
        )
    ).json()
    assert status == {"status": "ready", "label": "Ready", "finished": True}

    got = owner_client.get(download)

    assert got.status_code == 200
    assert got["Content-Disposition"] == (
        f'attachment; filename="sales-summary-{seller.number}-{MARCH_2018.end.isoformat()}.xlsx"'
    )
    book = load_workbook(io.BytesIO(b"".join(got.streaming_content)), read_only=True)
    assert book.sheetnames == ["Summary", "Sales 1"]
    sales = list(book["Sales 1"].iter_rows(values_only=True))
    assert sales[0][:6] == ("Sale date", "Invoice", "Line", "AFFB or TEFU number", "Fuel", "Litres")
    assert [(row[4], row[5], row[6], row[8]) for row in sales[1:]] == [
        ("Marked diesel", 1000, 0.0803, 80.3),
        ("Marked gasoline", 500.5, 0.0673, 33.68),
    ]
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert ("Refund", None, None, None, None, 113.98) in [row[:6] for row in summary]
    actions = set(
        AccessLogEntry.objects.filter(account_number=seller.number).values_list("kind", "action").distinct()
    )
    assert {
        ("change", "sales summary excel asked for"),
        ("read", "marked fuel sales summary"),
        ("read", "marked fuel sales summary excel download"),
    } <= actions


def test_excel_asked_twice_while_one_is_built_starts_no_second_job(seller, owner_client):
    building = SalesSummaryExport.objects.create(
        account=seller,
        period_start=MARCH_2018.start,
        period_end=MARCH_2018.end,
        requested_at=timezone.now(),
        status=Status.RUNNING,
        started_at=timezone.now(),
    )
    excel = reverse("marked_fuel_sales_summary_excel", kwargs={"number": seller.number})

    answer = owner_client.post(excel, {"period": MARCH_2018.start.isoformat()}, follow=True)

    assert SalesSummaryExport.objects.get() == building
    text = answer.content.decode()
    assert "is already being built" in text
    assert "Your Excel workbook is being built" in text
    assert 'http-equiv="refresh"' in text  # without JavaScript the page reloads itself until it is ready
    assert "sales-summary-excel.js" in text
    assert 'data-testid="generate-excel"' not in text


def test_a_build_that_never_finished_does_not_block_a_new_one(seller):
    stuck = SalesSummaryExport.objects.create(
        account=seller,
        period_start=MARCH_2018.start,
        period_end=MARCH_2018.end,
        requested_at=timezone.now() - timedelta(hours=1),
    )
    export, created = exports.sales_summary_export_request(account=seller, period=MARCH_2018, actor=JOB)
    assert created
    assert export != stuck
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED


def test_the_job_is_safe_to_run_twice(seller):
    sale(seller, accepted=during(MARCH_2018, 1))
    export = SalesSummaryExport.objects.create(
        account=seller, period_start=MARCH_2018.start, period_end=MARCH_2018.end, requested_at=timezone.now()
    )
    assert exports.sales_summary_export_build(export_id=export.pk) == Status.READY
    export.refresh_from_db()
    name = export.file.name
    assert exports.sales_summary_export_build(export_id=export.pk) == Status.READY
    export.refresh_from_db()
    assert export.file.name == name


def test_sales_past_a_sheets_rows_go_on_to_a_new_sheet(seller):
    for n in range(5):
        sale(seller, accepted=during(MARCH_2018, n))
    export = SalesSummaryExport.objects.create(
        account=seller, period_start=MARCH_2018.start, period_end=MARCH_2018.end, requested_at=timezone.now()
    )
    output = io.BytesIO()
    written = exports.workbook_write(
        export=export, output=output, rows_per_sheet=3, today=timezone.localdate()
    )
    assert written == 5
    book = load_workbook(io.BytesIO(output.getvalue()), read_only=True)
    assert book.sheetnames == ["Summary", "Sales 1", "Sales 2", "Sales 3"]  # a header and two sales each
    assert [len(list(book[name].iter_rows())) for name in book.sheetnames[1:]] == [3, 3, 2]


def test_a_sellers_text_is_written_as_text_never_as_a_formula(seller):
    bad = sale(seller, accepted=during(MARCH_2018, 1))
    bad.invoice_number = "=HYPERLINK(1)"
    bad.save()
    export = SalesSummaryExport.objects.create(
        account=seller, period_start=MARCH_2018.start, period_end=MARCH_2018.end, requested_at=timezone.now()
    )
    output = io.BytesIO()
    exports.workbook_write(export=export, output=output, today=timezone.localdate())
    row = list(
        load_workbook(io.BytesIO(output.getvalue()))["Sales 1"].iter_rows(min_row=2, values_only=True)
    )[0]
    assert row[1] == "'=HYPERLINK(1)"


def test_old_exports_are_deleted_with_their_files(seller, settings):
    settings.TRACS_SALES_SUMMARY_EXPORT_DAYS = 7
    sale(seller, accepted=during(MARCH_2018, 1))
    now = timezone.now()
    made = []
    for days in (8, 6):
        with time_machine.travel(now - timedelta(days=days), tick=False):
            export, _ = exports.sales_summary_export_request(account=seller, period=MARCH_2018, actor=JOB)
        exports.sales_summary_export_build(export_id=export.pk)
        export.refresh_from_db()
        made.append(export)
    old, recent = made
    assert default_storage.exists(old.file.name)

    from assessments.cycles.tasks import sales_summary_exports_expire

    assert sales_summary_exports_expire.delay().get() == 1
    assert not default_storage.exists(old.file.name)
    assert list(SalesSummaryExport.objects.all()) == [recent]
    assert exports.sales_summary_exports_expire() == 0


def test_claim_periods_run_from_the_accounts_start_to_the_current_one(seller):
    periods = selectors.claim_periods(account=seller, today=date(2018, 3, 14))
    assert periods[0] == MARCH_2018
    assert periods[-1] == Period(date(2016, 12, 19), PeriodKind.BIWEEKLY)  # holds 2017-01-01, the start
    assert all(a.previous() == b for a, b in zip(periods, periods[1:], strict=False))
