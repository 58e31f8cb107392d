"""Properties of the tax on a return, for any lines and any period with rates on file (hypothesis):

- tax = sum over lines of cents(litres x the rate in force on the first day of the period) for taxable lines,
  each line rounded half up to the cent on its own, and $0.00 for tax-out lines;
- the web form (text as typed, with thousands separators) computes exactly what the service computes from
  Decimals."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from filings.forms import ReturnLinesForm
from filings.tax import LineCategory, LineInput, field_key, line_kinds, return_compute
from programs.rates import rate_on

KINDS = line_kinds()

litres_values = st.decimals(
    min_value=0, max_value=Decimal("999999999.999"), places=3, allow_nan=False, allow_infinity=False
)
periods = st.builds(
    lambda year, month: date(year, month, 1), st.integers(2015, 2030), st.integers(1, 12)
).filter(lambda day: day >= date(2015, 4, 1))
returns = st.dictionaries(st.sampled_from(KINDS), litres_values, max_size=12)


def _expected(period_start: date, lines: dict) -> Decimal:
    total = Decimal("0.00")
    for (fuel, category), litres in lines.items():
        if category != LineCategory.TAXABLE or litres == 0:
            continue
        rate = rate_on(fuel=fuel, day=period_start).value
        total += (litres * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return total


@settings(max_examples=300, deadline=None)
@given(period_start=periods, lines=returns)
def test_tax_is_the_sum_of_lines_rounded_per_line(period_start, lines):
    computation = return_compute(
        period_start=period_start,
        lines=[
            LineInput(fuel=fuel, category=category, litres=litres)
            for (fuel, category), litres in lines.items()
        ],
    )
    assert computation.total == _expected(period_start, lines)
    assert computation.total == sum((line.tax for line in computation.lines), Decimal(0))
    assert all(line.tax == 0 for line in computation.lines if line.category != LineCategory.TAXABLE)
    assert len(computation.lines) == sum(1 for litres in lines.values() if litres > 0)


@settings(max_examples=200, deadline=None)
@given(period_start=periods, lines=returns)
def test_the_web_form_computes_what_the_service_computes(period_start, lines):
    typed = {field_key(fuel, category): f"{litres:,}" for (fuel, category), litres in lines.items()}
    form = ReturnLinesForm(typed)
    assert form.is_valid(), form.errors
    from_form = return_compute(period_start=period_start, lines=form.line_inputs())
    direct = return_compute(
        period_start=period_start,
        lines=[
            LineInput(fuel=fuel, category=category, litres=litres)
            for (fuel, category), litres in lines.items()
        ],
    )
    assert from_form == direct
