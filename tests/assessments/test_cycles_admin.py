"""The refund cycle in Django admin (issue 15, item 8), as a refund approver: the runs with their figures, a
period's claims beside the sales behind them, and the rerun of a past period (refused beside its field for a
day that starts no period, a period not ended, or a run in progress; queued and run otherwise, paying nothing
twice)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments.cycles import services
from assessments.cycles.models import CycleClaim, CycleRun
from filings.models import Claim
from tests.accounts.factories import staff_member
from tests.assessments.cycle_helpers import MARCH_2018, after, during, sale, tefs_seller
from tests.conftest import sign_in
from tests.test_celery_worker import connect_kwargs

RUN_URL = "admin:assessments_cyclerun_run"


@pytest.fixture
def approver(db):
    return sign_in(Client(), staff_member("refund_approver"))


@pytest.fixture
def paid(db):
    seller = tefs_seller()
    sale(seller, accepted=during(MARCH_2018, 1))
    with time_machine.travel(after(MARCH_2018), tick=False):
        services.cycle_run(period=MARCH_2018, actor=services.Actor.job("refund_cycle_due"))
    return seller


def test_the_runs_and_a_periods_claims_beside_their_sales(approver, paid):
    runs = approver.get(reverse("admin:assessments_cyclerun_changelist"))
    assert runs.status_code == 200
    text = runs.content.decode()
    assert "2018-03-12 to 2018-03-25" in text
    assert "Run a past claim period" in text
    claims = approver.get(
        reverse("admin:assessments_cycleclaim_changelist"), {"period_start": MARCH_2018.start.isoformat()}
    )
    text = claims.content.decode()
    claim = Claim.objects.get(account=paid)
    assert claim.confirmation_number in text
    assert "1 sale(s)" in text
    assert "$80.30 (Issued)" in text
    mine = CycleClaim.objects.get(account=paid)
    sales = approver.get(
        claims.context["cl"].model_admin.sales_link(mine).split('"')[1].replace("&amp;", "&")
    )
    assert sales.status_code == 200
    assert sales.context["cl"].result_count == 1


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ("2018-03-13", "not_a_period"),  # a Tuesday inside a period
        ("2098-12-29", "period_not_ended"),
    ],
)
def test_a_rerun_refused_beside_its_field_writes_nothing(approver, start, code):
    page = approver.post(reverse(RUN_URL), {"period_start": start})
    assert page.status_code == 400
    assert page.context["form"].errors.as_data()["period_start"][0].code == code
    assert not CycleRun.objects.exists()


def test_a_rerun_while_one_runs_says_so(approver, paid):
    import psycopg
    from django.db import connection

    with psycopg.connect(**connect_kwargs(connection.settings_dict), autocommit=True) as other:
        other.execute(
            "SELECT pg_advisory_lock(%s, %s)", [services.LOCK_NAMESPACE, MARCH_2018.start.toordinal()]
        )
        page = approver.post(reverse(RUN_URL), {"period_start": "2018-03-12"})
    assert page.status_code == 400
    assert "already running" in page.content.decode()


def test_a_rerun_of_a_past_period_adds_nothing_already_paid(approver, paid):
    """A seller the first run did not reach (here: its sale stored as accepted in the period after the run) is
    added, the seller already paid is left as it is."""
    late = tefs_seller("Late Fuels Ltd.")
    sale(late, accepted=during(MARCH_2018, 4), sale_date=date(2018, 3, 15), litres="100")
    page = approver.post(reverse(RUN_URL), {"period_start": "2018-03-12"})
    assert page.status_code == 302
    rerun = CycleRun.objects.order_by("-started_at").first()
    assert rerun.started_by is not None
    assert (rerun.sellers, rerun.claims, rerun.refunds) == (2, 1, 1)
    assert Claim.objects.filter(account=paid).count() == 1
    assert str(CycleClaim.objects.get(account=late).levy) == "8.03"


def test_only_the_refund_approver_reruns(db):
    assessor = sign_in(Client(), staff_member("assessor"))
    assert assessor.get(reverse(RUN_URL)).status_code == 403
