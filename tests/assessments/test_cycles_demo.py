"""The demo's biweekly marked-fuel refunds (assessments/cycles/demo.py): Prairie Fuels' AFFB sales of spring
2018 refunded by three cycles at the time (claims filed by TRACS, assessed, refunds issued), and the cycles of
the last six claim periods over its recent sales, which paid nothing (the levy repealed from 2019-05-30); the
owner sees the claims under View Assessment Status; loading it again adds nothing."""

from datetime import date

from django.test import Client
from django.urls import reverse

from accounts import demo as people
from assessments.cycles import demo as cycles_demo
from assessments.cycles.models import CycleClaim, CycleRun
from assessments.models import Refund
from consent import demo as consent_demo
from filings.models import Claim
from filings.sales import demo as sales_demo
from programs import demo as programs_demo
from programs.models import ProgramAccount
from tests.conftest import sign_in
from tracs.management.commands.seed_demo import DEMO_MODULES


def test_prairie_fuels_was_refunded_in_2018_and_its_recent_cycles_paid_nothing(db):
    assert DEMO_MODULES[-1] == "assessments.cycles.demo"
    users = people.seed()
    for module in (programs_demo, consent_demo, sales_demo, cycles_demo):
        module.seed(users=users)
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="tefs")
    paid = CycleClaim.objects.filter(account=account, status="paid").order_by("period_start")
    assert [c.period_start for c in paid] == list(cycles_demo.PAID_PERIODS)
    claims = Claim.objects.filter(account=account, kind=Claim.Kind.MARKED_FUEL_REFUND)
    assert claims.count() == 3
    assert all(c.received_at.date() < date(2018, 6, 1) for c in claims)
    assert Refund.objects.filter(account=account, status=Refund.Status.ISSUED).count() == 3
    recent = CycleClaim.objects.filter(account=account, period_start__gt=date(2019, 5, 30))
    assert recent.exists()
    assert set(recent.values_list("status", "levy")) == {("nothing", 0)}
    assert CycleRun.objects.filter(period_start__gt=date(2019, 5, 30)).count() == cycles_demo.RECENT_PERIODS
    page = sign_in(Client(), users["owner"]).get(
        reverse("assessment_status", kwargs={"number": account.number})
    )
    assert claims.first().confirmation_number in page.content.decode()
    # The Sales Summary tells both stories: a 2018 period's refund paid, a recent one's sales earning nothing.
    summary = reverse("marked_fuel_sales_summary", kwargs={"number": account.number})
    owner = sign_in(Client(), users["owner"])
    spring = owner.get(f"{summary}?period={cycles_demo.PAID_PERIODS[0].isoformat()}")
    first = paid.first()
    assert spring.context["summary"].refund == first.levy > 0
    assert first.claim.confirmation_number in spring.content.decode()
    assert "issued on" in spring.content.decode()
    latest = recent.order_by("-period_start").first()
    lately = owner.get(f"{summary}?period={latest.period_start.isoformat()}")
    assert lately.context["summary"].sales == latest.sales > 0
    assert lately.context["summary"].refund == 0
    assert "nil (carbon levy repealed from 2019-05-30)" in lately.content.decode()

    cycles_demo.seed(users=users)  # again: nothing added
    assert Claim.objects.filter(account=account, kind=Claim.Kind.MARKED_FUEL_REFUND).count() == 3
