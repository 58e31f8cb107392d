"""What assessments shows on consent's pages (listed in consent/panels.py): the balance panel of Account Information,
with the balance at each of the last 24 month ends drawn as a small server-rendered SVG chart, and the home
banner "N period(s) with an outstanding balance".

Both read with one aggregate query each: the panel sums the account's ledger months (assessments.models.LedgerMonth,
the net movement of each month of processed dates, kept by the database with every posting: ADR 0017) and runs the
month-end sums in Python; the banner groups the page's accounts' transactions by (account, period end) and counts
the periods left owing once each account's credits are counted against them (assessments.selectors.owing_by_account)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DateField, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html_join
from django.utils.translation import ngettext

from assessments import selectors
from assessments.models import LedgerMonth
from consent.sql import SENTINEL_INT, CompiledQuery, Pending
from programs.models import ProgramAccount
from programs.templatetags.amounts import credit_brackets

MONTHS_SHOWN = 24
ZERO = Decimal("0.00")

# The chart's drawing box (SVG user units; it scales with the page). Room on the left for the amounts.
WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 96, 12, 12, 28


def _month_starts(*, today: date, count: int) -> list[date]:
    """The first days of the `count` months ending with the month of `today`, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _index in range(count):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return starts[::-1]


def _month_label(start: date) -> str:
    return f"{MONTHS_3[start.month].title()} {start.year}"


@dataclass(frozen=True)
class MonthBalance:
    month: date  # the first day of the month
    balance: Decimal  # at the month's end (for the month running now: today, as posted so far)
    label: str
    shown: str  # credits in brackets


def _month_totals(first: date, *, account_id: int) -> QuerySet[LedgerMonth, tuple[date, Decimal]]:
    """Each month's net from `first` on, with every earlier month folded into `first` (the opening balance)."""
    return (
        LedgerMonth.objects.filter(account=account_id)
        .annotate(bucket=Greatest("month", Value(first, output_field=DateField())))
        .values("bucket")
        .annotate(total=Sum("net"))
        .order_by("bucket")
        .values_list("bucket", "total")
    )


# Every Account Information request reads it: compiled once per window (its first month is the key).
MONTH_TOTALS = CompiledQuery(_month_totals, account_id=SENTINEL_INT)


def monthly_balances(
    *, account: ProgramAccount, today: date, months: int = MONTHS_SHOWN
) -> tuple[Decimal, list[MonthBalance]]:
    """The account balance now, and the balance at the end of each of the last `months` months (oldest first,
    the month running now last), from one query over the account's ledger months (LedgerMonth, ADR 0017: one
    row per month the account has postings in, kept with the postings), never over its transactions.

    A month-end balance is every transaction processed up to that month's end; the months before the window
    are carried in as the opening balance (the query folds them into the window's first month), the months
    after it (a processed date in the future) count in the balance now only. E.g. +1,000.00 in March and
    -250.00 in May: February 0.00, March and April 1,000.00, May 750.00."""
    starts = _month_starts(today=today, count=months)
    by_month = dict(MONTH_TOTALS.rows(starts[0], account_id=account.pk))  # as balance_queries declares it
    running = ZERO
    series = []
    for start in starts:
        running += by_month.get(start, ZERO)
        series.append(
            MonthBalance(
                month=start, balance=running, label=_month_label(start), shown=credit_brackets(running)
            )
        )
    balance = sum(by_month.values(), start=ZERO)
    return balance, series


def _number(value: float) -> str:
    """An SVG coordinate as SVG reads it, whatever the page's language: the template engine would localize a float
    ("96,5" in French, which SVG does not read), and localizing each of the chart's ~60 numbers was a good part of
    the panel's rendering time (issue 13)."""
    return f"{value:.1f}"


def _chart(series: list[MonthBalance]) -> dict:
    """Where each point of the balance line goes in the SVG, with the scale's labels, every number as SVG's text
    (`_number`); the 24 points' circles and the screen-reader table's rows are made here as markup, each amount and
    label escaped (format_html), rather than by a loop in the template. Geometry only: the amounts shown are the
    Decimals' own text."""
    values = [point.balance for point in series]
    high, low = max(max(values), ZERO), min(min(values), ZERO)
    high_label = credit_brackets(high) if high != low else ""
    if high == low:  # a flat line (nothing posted): draw it at the bottom
        high = low + Decimal(1)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(series) - 1, 1)

    def y_of(value: Decimal) -> str:
        return _number(TOP + float((high - value) / (high - low)) * plot_height)

    xs = [_number(LEFT + index * step) for index in range(len(series))]
    ys = [y_of(point.balance) for point in series]
    last = len(series) - 1
    return {
        "width": str(WIDTH),
        "height": str(HEIGHT),
        "left": str(LEFT),
        "right": str(WIDTH - RIGHT),
        "top": str(TOP),
        "bottom": str(HEIGHT - BOTTOM),
        "polyline": " ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True)),
        "circles": format_html_join(
            "", '<circle class="balance-chart__point" cx="{}" cy="{}" r="3"/>', zip(xs, ys, strict=True)
        ),
        "zero_y": y_of(ZERO),
        "high_label": high_label,
        "low_label": credit_brackets(low),
        "x_labels": [
            {"x": xs[index], "label": series[index].label, "anchor": anchor}
            for index, anchor in ((0, "start"), (last // 2, "middle"), (last, "end"))
        ],
        "label_y": str(HEIGHT - 8),
        "text_x": str(LEFT - 6),
        "rows": format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            ((point.label, point.shown) for point in series),
        ),
    }


def balance_queries(account: ProgramAccount, user) -> list[Pending]:
    """What balance_panel asks, for the page to send with the other panels' (consent.sql.prefetched)."""
    first = _month_starts(today=timezone.localdate(), count=MONTHS_SHOWN)[0]
    return [MONTH_TOTALS.pending(first, account_id=account.pk)]


def balance_panel(account: ProgramAccount, user, *, today: date | None = None) -> dict:
    """The current balance (owing, credit or nothing owing) and the 24 month-end balances with their chart:
    one query."""
    today = today or timezone.localdate()
    balance, series = monthly_balances(account=account, today=today)
    values = [point.balance for point in series]
    return {
        # A line flat at zero for 24 months says nothing a sentence does not: the chart is drawn when there is
        # a balance to show.
        "show_chart": any(values) or bool(balance),
        "balance": balance,
        "balance_shown": credit_brackets(balance),
        "owing": balance > 0,
        "credit": balance < 0,
        "series": series,
        "chart": _chart(series),
        "first": series[0],
        "last": series[-1],
        "highest": credit_brackets(max(values)),
        "lowest": credit_brackets(min(values)),
    }


def owing_periods_banners(user, rows: list[dict]) -> list[dict]:
    """Home's red banner "N period(s) with an outstanding balance", one per account of the page that owes once
    its credits are counted against its periods (assessments.selectors.Owing, as Payment Options lists them)."""
    account_ids = [row["account_id"] for row in rows]
    counts = {
        account_id: len(owing.outstanding)
        for account_id, owing in selectors.owing_by_account(account_ids=account_ids).items()
    }
    return [
        {
            "account_id": account_id,
            "kind": "balance",
            "count": count,
            "message": ngettext(
                "%(count)d period with an outstanding balance",
                "%(count)d periods with an outstanding balance",
                count,
            )
            % {"count": count},
        }
        for account_id, count in counts.items()
        if count
    ]
