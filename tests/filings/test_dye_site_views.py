"""A dye site's monthly reports' pages, as a business registered to dye fuel uses them: its sites and months owed;
the Dye Stock Report (AT4984) and Litres Dyed during the Month (AT366) through form -> review -> certify -> submit
(filings.views_steps), bad figures refused beside their boxes with nothing saved; the confirmation, its PDF, the
nil report, the amendment, the month's versions, View Assessment Status; and who may not reach them."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry, OutboxEmail
from consent.privileges import Privilege
from filings import dye_sites
from filings.models import ConfirmationDocument, DyeStockReport, LitresDyedReport
from filings.services_dye_sites import ALREADY_FILED
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.dye_site_factories import dye_site, file_stock
from tests.filings.factories import edmonton

CERTIFY = {"certified_name": "Dana Dyer", "certified_capacity": "Terminal manager", "declaration": "on"}
STOCK = {
    "opening": "1200",
    "received": "800",
    "used": "950",
    "adjustment": "-15",
    "adjustment_reason": "Spill",
    "closing": "1035",
}
DYED = {"diesel": "400000", "gasoline": "150000", "concentrate_used": "935"}


@pytest.fixture
def world(db):
    site = dye_site()
    owner = UserFactory(full_name="Dana Dyer")
    owner_grant(account=site.account, user=owner)
    return {"site": site, "account": site.account, "owner": owner, "client": sign_in(Client(), owner)}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def site_url(name, world, period="2026-06", report="stock"):
    return url(name, world["account"], site_id=world["site"].pk, period=period, report=report)


def field_error(response, name) -> str | None:
    match = re.search(rf'<p class="field-error" id="id_{name}_error">([^<]*)</p>', response.content.decode())
    return html.unescape(match.group(1)) if match else None


@time_machine.travel(edmonton(2026, 8, 3), tick=False)
def test_the_sites_page_lists_each_month_owed_with_its_due_date_and_overdue(world):
    file_stock(site=world["site"], period="2026-06", user=world["owner"])
    response = world["client"].get(url("dye_sites", world["account"]))
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "Nisku terminal" in body
    for month in ("January 2026", "June 2026", "July 2026"):
        assert month in body
    assert "August 2026" not in body  # not ended
    assert re.search(
        r"2026-07-28\s*·\s*<strong>overdue 6 days</strong>", body
    )  # June: its Litres Dyed report is not filed
    assert site_url("dye_site_report_file", world, period="2026-07", report="litres-dyed") in body
    assert "7 months with a report outstanding" in body
    assert 'aria-current="page">Dye Site Reports<' in body  # the account menu's own item


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_file_a_dye_stock_report_review_certify_submit(world):
    client, file_url = world["client"], site_url("dye_site_report_file", world)
    form = client.get(file_url)
    assert form.status_code == 200
    assert "due on or before 2026-07-28" in html.unescape(form.content.decode())
    review = client.post(file_url, {**STOCK, "step": "review"})
    assert review.status_code == 200
    body = html.unescape(review.content.decode())
    assert "1,035 L" in body
    assert "Spill" in body
    assert not DyeStockReport.objects.exists()  # nothing stored before the submission
    done = client.post(file_url, {**STOCK, **CERTIFY, "step": "submit"})
    report = DyeStockReport.objects.get()
    assert done.status_code == 302
    assert done["Location"] == url(
        "dye_site_report_confirmation", world["account"], confirmation_number=report.confirmation_number
    )
    assert report.confirmation_number.startswith("DS-202606-")
    assert (report.opening, report.received, report.used, report.adjustment, report.closing_reported) == (
        Decimal("1200"),
        Decimal("800"),
        Decimal("950"),
        Decimal("-15"),
        Decimal("1035"),
    )
    assert report.lines.get().reason == "Spill"
    assert report.site == world["site"]
    assert report.due_on == date(2026, 7, 28)
    assert report.filed_in_capacity == "owner"
    assert AccessLogEntry.objects.filter(
        action="dye stock report filed", account_number=world["account"].number
    ).exists()
    assert OutboxEmail.objects.filter(purpose="dye-site-report-confirmation").count() == 1
    confirmation = client.get(done["Location"])
    assert confirmation.status_code == 200
    assert report.confirmation_number in confirmation.content.decode()
    pdf = client.get(
        url(
            "dye_site_report_confirmation_pdf",
            world["account"],
            confirmation_number=report.confirmation_number,
        )
    )
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert ConfirmationDocument.objects.filter(dye_stock_report=report).exists()
    again = client.post(file_url, {**STOCK, **CERTIFY, "step": "submit"})  # sent twice: the one filed
    assert again.status_code == 302
    assert DyeStockReport.objects.count() == 1


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_figures_that_do_not_add_up_are_refused_beside_their_boxes_and_nothing_is_saved(world):
    client, file_url = world["client"], site_url("dye_site_report_file", world)
    response = client.post(file_url, {**STOCK, "closing": "1050", "step": "review"})
    assert response.status_code == 400
    assert "= 1,035 L" in field_error(response, "closing")
    response = client.post(file_url, {**STOCK, "adjustment_reason": "", "step": "review"})
    assert field_error(response, "adjustment_reason") == str(dye_sites.ADJUSTMENT_REASON_REQUIRED)
    response = client.post(
        site_url("dye_site_report_file", world, report="litres-dyed"),
        {**DYED, "concentrate_used": "", "step": "review"},
    )
    assert response.status_code == 400
    assert field_error(response, "concentrate_used") == str(dye_sites.CONCENTRATE_REQUIRED)
    assert not DyeStockReport.objects.exists()
    assert not LitresDyedReport.objects.exists()


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_litres_dyed_warns_when_its_concentrate_differs_from_the_stock_report_and_keeps_the_difference(world):
    file_stock(
        site=world["site"],
        period="2026-06",
        user=world["owner"],
        **{k: STOCK[k] for k in ("opening", "received", "used", "closing")},
        adjustment="-15",
        reason="Spill",
    )
    client, file_url = world["client"], site_url("dye_site_report_file", world, report="litres-dyed")
    review = client.post(file_url, {**DYED, "step": "review"})
    assert review.status_code == 200
    assert "a difference of -15 L" in html.unescape(review.content.decode())  # 935 here, 950 on the AT4984
    client.post(file_url, {**DYED, **CERTIFY, "step": "submit"})
    report = LitresDyedReport.objects.get()
    assert report.litres_total == Decimal("550000")
    assert report.stock_report_used == Decimal("950")
    assert report.concentrate_difference == Decimal("-15")
    assert sorted(report.lines.values_list("fuel", "litres")) == [
        ("diesel", Decimal("400000")),
        ("gasoline", Decimal("150000")),
    ]
    assert report.confirmation_number.startswith("LD-202606-")


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_a_nil_report_then_an_amendment_and_the_months_versions(world):
    client = world["client"]
    nil = client.post(site_url("dye_site_report_nil", world, report="litres-dyed"), CERTIFY)
    assert nil.status_code == 302
    original = LitresDyedReport.objects.get()
    assert original.litres_total == 0
    assert original.concentrate_used == 0
    refiled = client.get(site_url("dye_site_report_file", world, report="litres-dyed"))
    assert refiled.status_code == 302  # filed: sent to the month's page
    amend_url = site_url("dye_site_report_amend", world, report="litres-dyed")
    assert client.get(amend_url).status_code == 200
    done = client.post(amend_url, {**DYED, **CERTIFY, "replaces_version": "1", "step": "submit"})
    assert done.status_code == 302
    amended = LitresDyedReport.objects.get(version=2)
    assert amended.kind == "amended"
    assert amended.amends == original
    stale = client.post(amend_url, {**DYED, **CERTIFY, "replaces_version": "1", "step": "submit"})
    assert stale.status_code == 302
    assert LitresDyedReport.objects.count() == 2  # the stale amendment stored nothing
    month = client.get(
        url("dye_site_reports_period", world["account"], site_id=world["site"].pk, period="2026-06")
    )
    assert month.status_code == 200
    body = month.content.decode()
    assert original.confirmation_number in body
    assert amended.confirmation_number in body
    status = client.get(url("assessment_status", world["account"])).content.decode()
    assert "Litres Dyed during the Month (AT366), BFLO 400900 Nisku terminal, June 2026" in html.unescape(
        status
    )
    assert (
        "Litres Dyed during the Month (AT366), BFLO 400900 Nisku terminal, June 2026, version 2"
        in html.unescape(status)
    )


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_a_month_not_ended_or_before_the_site_is_not_owed(world):
    client = world["client"]
    assert client.get(site_url("dye_site_report_file", world, period="2026-07")).status_code == 400
    assert client.get(site_url("dye_site_report_file", world, period="2025-12")).status_code == 400


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_a_second_original_through_the_service_is_refused_with_the_first(world):
    first = file_stock(site=world["site"], period="2026-06", user=world["owner"])
    from filings.services_dye_sites import DyeReportAlreadyFiled

    with pytest.raises(DyeReportAlreadyFiled) as refused:
        file_stock(site=world["site"], period="2026-06", user=world["owner"])
    assert refused.value.existing == first
    assert first.confirmation_number in refused.value.message
    assert str(ALREADY_FILED).split("%")[0] in refused.value.message


# --- Who may not reach them ---------------------------------------------------------------------------------


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_an_account_without_a_dye_site_is_refused_403_with_the_reason(world):
    seller = ProgramAccountFactory(program="tefs", taxpayer=world["account"].taxpayer)
    owner_grant(account=seller, user=world["owner"])
    menu = world["client"].get(url("account_detail", seller)).content.decode()
    assert "Dye Site Reports" not in menu  # not offered
    response = world["client"].get(url("dye_sites", seller))
    assert response.status_code == 403
    assert "has no dye site approved by TRA" in html.unescape(response.content.decode())
    # Its number with this account's site: the same refusal, before the site is looked at.
    other = world["client"].get(
        url("dye_site_report_file", seller, site_id=world["site"].pk, period="2026-06", report="stock")
    )
    assert other.status_code == 403


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_another_accounts_site_and_confirmation_are_404(world):
    other_site = dye_site(name="Other terminal", bflo="400901")
    filed = file_stock(site=other_site, period="2026-06", user=world["owner"])
    client = world["client"]
    response = client.get(
        url("dye_site_report_file", world["account"], site_id=other_site.pk, period="2026-06", report="stock")
    )
    assert response.status_code == 404
    assert (
        client.get(
            url(
                "dye_site_report_confirmation",
                world["account"],
                confirmation_number=filed.confirmation_number,
            )
        ).status_code
        == 404
    )
    assert (
        client.get(
            url("dye_site_report_confirmation", world["account"], confirmation_number="XX-202606-ABCDEF")
        ).status_code
        == 404
    )
    assert (
        client.get(url("dye_sites", other_site.account)).status_code == 404
    )  # no access to that account at all


@time_machine.travel(edmonton(2026, 7, 10), tick=False)
def test_a_delegate_without_file_returns_is_refused_403(world):
    viewer = UserFactory()
    delegate_grant(account=world["account"], user=viewer, privileges=(Privilege.VIEW_ASSESSMENTS,))
    response = sign_in(Client(), viewer).get(url("dye_sites", world["account"]))
    assert response.status_code == 403


def test_signed_out_is_sent_to_sign_in(world):
    response = Client().get(url("dye_sites", world["account"]))
    assert response.status_code == 302
    assert "login" in response["Location"] or "sign" in response["Location"]
