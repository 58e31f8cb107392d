"""The cycle's set-based step: one grouped INSERT ... SELECT that turns a claim period's sales into one row per
seller (assessments.cycles.models.CycleClaim), never a row of sales in Python (ARCHITECTURE.md, "Bulk data").

Which sales count (seed 002: "the sales transactions entered and processed during that claim period"): the AFFB
sales and amendments accepted by ingestion in the period (`created_at`, the store's own time) and still standing
at its end (no later revision accepted before the end), each at the carbon levy rate for its fuel on its sale
date (programs_taxrate, the rate YAML's table; `null` from 2019-05-30: nothing). A sale paid in an earlier period
and replaced by an amendment or a void accepted in this one is taken back here (`adjustment`), never by changing
the claim that paid it; the amendment itself counts here as any sale. So each revision counts once, in the
period it was accepted, and is taken back once, in the period of the revision that replaced it: a rerun, or a
period run late, computes the same.

The levy is rounded once per seller, fuel and rate (the claim's lines, as filings computes a line: litres x
rate, half up to the cent). ON CONFLICT DO NOTHING with the unique (seller, period): a rerun adds only sellers
not there yet.
"""

# The statements are built from this module's own constant fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

# The carbon levy rate of each fuel with the day it ends (the next entry's start): a rate for a sale date is the
# one whose range contains it.
_RATES = """
    SELECT fuel, effective_from, value,
           lead(effective_from) OVER (PARTITION BY fuel ORDER BY effective_from) AS until
    FROM programs_taxrate WHERE tax = 'carbon_levy'
"""


# The rows of the period: +1 those counted (standing at the end), -1 those an accepted correction replaced. The
# one rule of which sales a claim period counts: the cycle's step reads it for every seller; the Sales Summary
# (assessments.cycles.selectors) reads it for one (`one_seller`, with `%(account_id)s`), with the sale's own
# columns (`columns`) for its Excel.
def period_rows(*, one_seller: bool = False, columns: tuple[str, ...] = ()) -> str:
    seller = " AND {alias}.account_id = %(account_id)s" if one_seller else ""
    counted = "".join(f", s.{column}" for column in columns)
    taken_back = "".join(f", p.{column}" for column in columns)
    return f"""
    SELECT s.account_id, s.fuel, s.sale_date, s.litres, true AS counted{counted}
    FROM filings_sale s
    WHERE s.created_at >= %(starts)s AND s.created_at < %(ends)s{seller.format(alias="s")}
      AND s.exemption_kind = 'affb' AND s.kind <> 'void'
      AND NOT EXISTS (
          SELECT 1 FROM filings_sale c
          WHERE c.corrects_id IS NOT NULL AND c.corrects_id = coalesce(s.corrects_id, s.id)
            AND c.revision > s.revision AND c.created_at < %(ends)s)
    UNION ALL
    SELECT p.account_id, p.fuel, p.sale_date, p.litres, false{taken_back}
    FROM filings_sale c
    JOIN filings_sale p
      ON (c.revision = 1 AND p.id = c.corrects_id)
      OR (c.revision > 1 AND p.corrects_id = c.corrects_id AND p.revision = c.revision - 1)
    WHERE c.corrects_id IS NOT NULL AND c.created_at >= %(starts)s AND c.created_at < %(ends)s
      {seller.format(alias="c")}
      AND p.created_at < %(starts)s AND p.exemption_kind = 'affb' AND p.kind <> 'void'
"""


# Each row's carbon levy rate: the one in force for its fuel on its sale date (none before 2017: no rate row
# value; repealed from 2019-05-30: a row whose value is null).
RATE_ON_SALE_DATE = f"""
    LEFT JOIN ({_RATES}) r
      ON r.fuel = x.fuel AND x.sale_date >= r.effective_from AND (r.until IS NULL OR x.sale_date < r.until)
"""


# The period's levy by seller, fuel and rate: rounded once per seller, fuel and rate (the claim's lines).
def by_fuel_and_rate(*, one_seller: bool = False) -> str:
    return f"""
    SELECT x.account_id, x.fuel, r.effective_from AS rate_from, r.value AS rate,
           count(*) FILTER (WHERE x.counted) AS sales,
           sum(x.litres) FILTER (WHERE x.counted) AS litres,
           min(x.sale_date) FILTER (WHERE x.counted) AS first_sale,
           round(sum(x.litres) FILTER (WHERE x.counted) * r.value, 2) AS levy,
           round(sum(x.litres) FILTER (WHERE NOT x.counted) * r.value, 2) AS taken_back,
           count(*) FILTER (WHERE NOT x.counted) AS corrections
    FROM ({period_rows(one_seller=one_seller)}) x
    {RATE_ON_SALE_DATE}
    GROUP BY x.account_id, x.fuel, r.effective_from, r.value
"""


COMPUTE = f"""
INSERT INTO assessments_cycleclaim
    (run_id, account_id, period_start, period_end, sales, litres, levy, adjustment, corrections, lines, status,
     computed_at)
SELECT %(run_id)s, g.account_id, %(period_start)s, %(period_end)s,
       coalesce(sum(g.sales), 0), coalesce(sum(g.litres), 0), coalesce(sum(g.levy), 0),
       -coalesce(sum(g.taken_back), 0), coalesce(sum(g.corrections), 0),
       coalesce(jsonb_agg(jsonb_build_object(
           'fuel', g.fuel, 'rate_from', g.rate_from, 'rate', g.rate, 'litres', g.litres, 'refund', g.levy,
           'first_sale', g.first_sale) ORDER BY g.fuel, g.rate_from) FILTER (WHERE g.levy > 0), '[]'::jsonb),
       'computed', now()
FROM ({by_fuel_and_rate()}) g
GROUP BY g.account_id
ON CONFLICT (account_id, period_start) DO NOTHING
"""

# The Sales Summary of one seller's claim period (assessments.cycles.selectors): its figures by fuel and rate, one
# grouped statement whatever the number of sales.
SUMMARY = f"""
SELECT g.fuel, g.rate_from, g.rate, coalesce(g.sales, 0), coalesce(g.litres, 0), coalesce(g.levy, 0),
       g.corrections, coalesce(g.taken_back, 0)
FROM ({by_fuel_and_rate(one_seller=True)}) g
ORDER BY g.fuel, g.rate_from NULLS FIRST
"""

# The same seller's sales one by one, for its Excel (assessments.cycles.exports): each with its rate and the levy at
# that rate (rounded per sale; the claim rounds per fuel and rate, so the summary sheet gives the claim's figures).
SALE_COLUMNS = ("invoice_number", "line", "exemption_number")
SALES = f"""
SELECT x.sale_date, x.invoice_number, x.line, x.exemption_number, x.fuel, x.litres, x.counted, r.effective_from,
       r.value, round(x.litres * r.value, 2)
FROM ({period_rows(one_seller=True, columns=SALE_COLUMNS)}) x
{RATE_ON_SALE_DATE}
ORDER BY x.sale_date, x.invoice_number, x.line, x.counted
"""

# The baseline the benchmark holds the step against (bench/bench_cycle.py): one bare grouped statement over the
# same rows, the levy per seller and nothing else.
BARE = f"""
SELECT s.account_id, round(sum(s.litres * r.value), 2)
FROM filings_sale s
JOIN ({_RATES}) r
  ON r.fuel = s.fuel AND s.sale_date >= r.effective_from AND (r.until IS NULL OR s.sale_date < r.until)
WHERE s.created_at >= %(starts)s AND s.created_at < %(ends)s AND s.exemption_kind = 'affb'
GROUP BY s.account_id
"""


def seller_totals_compute(
    *, run_id: int, period_start: date, period_end: date, starts: datetime, ends: datetime
) -> int:
    """Insert the period's per-seller rows not there yet (one statement); returns how many were added."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as for ingestion: the JIT cost more than it saved here
        cursor.execute(
            COMPUTE,
            {
                "run_id": run_id,
                "period_start": period_start,
                "period_end": period_end,
                "starts": starts,
                "ends": ends,
            },
        )
        return cursor.rowcount
