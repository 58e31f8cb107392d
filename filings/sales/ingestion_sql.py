"""The ingestion's SQL: rows land in a staging table with COPY, every rule is one statement over every staged row,
and the store is a few INSERT ... SELECT (ARCHITECTURE.md, "Bulk data"): a million-row file costs a few dozen
statements, never a query per row.

`ingest_stage` holds the rows as sent (text, with their row number and how many values the row had);
`ingest_typed` the same rows read into dates, numbers and ids, NULL where a value cannot be read (each rule
names those); `ingest_errors` one row per problem: (row_number, field, code, value). The registry is joined once
for every sale on its own sale date through programs.registries.selectors.eligibility_sql, and the seller's
active BFLOs once. The staging tables are the session's (they live across the commits that publish the
progress counters) and are dropped at the start and the end of each run.

Rules that depend on what is already stored (a sale already reported, the sale an amendment names) are run
again inside the store's transaction, after the account's lock (`STATE_RULES`), so two files of one account
processed at once cannot both add the same sale."""

# The SQL here is built from this module's own constants (column names of formats.COLUMNS, rule codes), never
# from what a file or a person sent: every value a file carries is a COPY row or a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from filings.sales.formats import COLUMNS, MAX_TEXT
from filings.sales.models import RecordType
from programs.registries.selectors import eligibility_params, eligibility_sql

# Formats are checked by their shape, every digit read as 9 (translate is a few times cheaper than a regular
# expression, which cost a second on 100,000 rows across the typed table): `^-?[0-9]{1,9}(\.[0-9]{1,3})?$` is one of
# these 72 shapes, a date's `^[0-9]{4}-[0-9]{2}-[0-9]{2}$` is 9999-99-99, its month and day then read as numbers.
_LITRES_SHAPES = tuple(
    f"{sign}{'9' * whole}{'.' + '9' * places if places else ''}"
    for sign in ("", "-")
    for whole in range(1, 10)
    for places in range(4)
)
_LINE_SHAPES = tuple("9" * digits for digits in range(1, 10))
# ^(F|T|CL)[0-9]{7}$: the numbers as programs.registries stores them
_NUMBER_SHAPES = ("F9999999", "T9999999", "CL9999999")


def _shape(value: str) -> str:
    return f"translate({value}, '012345678', '999999999')"


def _one_of(shapes: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{shape}'" for shape in shapes) + ")"


# Some rules skip a row whose value is empty (the "required" rule names it once).
_TABLES = ("ingest_stage", "ingest_typed", "ingest_eligibility", "ingest_errors")


def _date(column: str) -> str:
    """A text column as a date, NULL unless it is YYYY-MM-DD and a real day (PostgreSQL 15 has no
    pg_input_is_valid: the day is compared with its month's last day, computed from a string already checked)."""
    value = f"btrim(s.{column})"
    return f"""CASE WHEN {_shape(value)} = '9999-99-99' AND substr({value}, 6, 2)::int BETWEEN 1 AND 12
                 AND substr({value}, 9, 2)::int BETWEEN 1 AND extract(day from
                     (left({value}, 7) || '-01')::date + interval '1 month' - interval '1 day')
                THEN {value}::date END"""


def _litres(column: str = "litres") -> str:
    value = f"btrim(s.{column})"
    return f"CASE WHEN {_shape(value)} IN {_one_of(_LITRES_SHAPES)} THEN {value}::numeric END"


_BFLO_JOIN = """LEFT JOIN programs_bulkfuellocation b
    ON b.number = btrim(s.bflo_number) AND b.account_id = %(account_id)s AND b.active"""


@dataclass(frozen=True)
class Spec:
    """One record type's SQL: the typed rows, its rules, its store."""

    typed: str
    rules: tuple[str, ...]
    state_rules: tuple[str, ...]
    store: tuple[str, ...]
    registry: bool = False


# Rules every record type shares: the row's shape, the account and month, the location, fuel and litres.
def _common_rules(*, date_column: str | None, litres_zero_ok: bool = False) -> tuple[str, ...]:
    expected = "%(expected)s"
    rules = [
        f"SELECT row_number, 'row', 'field_count', nfields::text FROM ingest_stage WHERE nfields <> {expected}",
        """SELECT row_number, 'account_number', 'other_account', account_number FROM ingest_stage s
           WHERE nfields = %(expected)s AND btrim(account_number) <> %(account_number)s""",
        """SELECT row_number, 'month', 'other_month', month FROM ingest_stage s
           WHERE nfields = %(expected)s AND btrim(month) <> %(month)s""",
    ]
    if date_column:
        rules += [
            f"""SELECT s.row_number, '{date_column}', 'required', '' FROM ingest_stage s JOIN ingest_typed t
                USING (row_number) WHERE t.checks_date AND btrim(s.{date_column}) = ''""",
            f"""SELECT s.row_number, '{date_column}', 'date_format', s.{date_column} FROM ingest_stage s
                JOIN ingest_typed t USING (row_number)
                WHERE t.checks_date AND btrim(s.{date_column}) <> '' AND t.{date_column} IS NULL""",
            f"""SELECT row_number, '{date_column}', 'date_outside_month', {date_column}::text FROM ingest_typed
                WHERE checks_date AND to_char({date_column}, 'YYYY-MM') <> %(month)s""",
        ]
    positive = "litres_negative" if litres_zero_ok else "litres_positive"
    bound = "<" if litres_zero_ok else "<="
    rules += [
        """SELECT s.row_number, 'bflo_number', 'required', '' FROM ingest_stage s JOIN ingest_typed t
           USING (row_number) WHERE t.checks_values AND btrim(s.bflo_number) = ''""",
        """SELECT s.row_number, 'bflo_number', 'bflo_not_yours', s.bflo_number FROM ingest_stage s
           JOIN ingest_typed t USING (row_number)
           WHERE t.checks_values AND btrim(s.bflo_number) <> '' AND t.bflo_id IS NULL""",
        """SELECT s.row_number, 'fuel', 'fuel_unknown', s.fuel FROM ingest_stage s JOIN ingest_typed t
           USING (row_number) WHERE t.checks_values AND t.fuel IS NULL""",
        """SELECT s.row_number, 'litres', 'required', '' FROM ingest_stage s JOIN ingest_typed t
           USING (row_number) WHERE t.checks_values AND btrim(s.litres) = ''""",
        """SELECT s.row_number, 'litres', 'litres_format', s.litres FROM ingest_stage s JOIN ingest_typed t
           USING (row_number) WHERE t.checks_values AND btrim(s.litres) <> '' AND t.litres IS NULL""",
        f"""SELECT row_number, 'litres', '{positive}', litres::text FROM ingest_typed
            WHERE checks_values AND litres {bound} 0""",
    ]
    return tuple(rules)


def _text_rules(*, columns: tuple[str, ...], when: str = "checks_values") -> tuple[str, ...]:
    rules = []
    for column in columns:
        rules.append(
            f"""SELECT s.row_number, '{column}', 'required', '' FROM ingest_stage s JOIN ingest_typed t
                USING (row_number) WHERE t.{when} AND btrim(s.{column}) = ''"""
        )
        if column in MAX_TEXT:
            rules.append(
                f"""SELECT row_number, '{column}', 'too_long', left({column}, 40) || '…' FROM ingest_stage
                    WHERE nfields = %(expected)s AND length(btrim({column})) > {MAX_TEXT[column]}"""
            )
    return tuple(rules)


_FUEL = "CASE WHEN btrim(s.fuel) IN ('marked_gasoline', 'marked_diesel') THEN btrim(s.fuel) END"

# --- Sales -------------------------------------------------------------------------------------------------------
_SALES_TYPED = f"""
CREATE TEMP TABLE ingest_typed AS
SELECT s.row_number,
       lower(btrim(s.record)) AS record,
       lower(btrim(s.record)) IN ('sale', 'amendment') AS checks_values,
       lower(btrim(s.record)) IN ('sale', 'amendment') AS checks_date,
       {_date("sale_date")} AS sale_date,
       btrim(s.invoice_number) AS invoice_number,
       CASE WHEN {_shape("btrim(s.line)")} IN {_one_of(_LINE_SHAPES)}
                 AND btrim(s.line)::bigint BETWEEN 1 AND 2147483647
            THEN btrim(s.line)::int END AS line,
       upper(translate(s.exemption_number, ' -', '')) AS exemption_number,
       {_shape("upper(translate(s.exemption_number, ' -', ''))")} IN {_one_of(_NUMBER_SHAPES)} AS number_formed,
       {_FUEL} AS fuel,
       {_litres()} AS litres,
       b.id AS bflo_id
FROM ingest_stage s {_BFLO_JOIN}
WHERE s.nfields = %(expected)s
"""
_SALES_ELIGIBILITY = "CREATE TEMP TABLE ingest_eligibility AS " + eligibility_sql(
    asked="""(SELECT row_number AS key, exemption_number AS number, sale_date AS day FROM ingest_typed
              WHERE checks_values AND sale_date IS NOT NULL AND number_formed)"""
)
_SALES_RULES = (
    *_common_rules(date_column="sale_date"),
    """SELECT s.row_number, 'record', 'record_unknown', s.record FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.record NOT IN ('sale', 'amendment', 'void')""",
    *_text_rules(columns=("invoice_number",), when="record IS NOT NULL"),
    """SELECT s.row_number, 'line', 'line_format', s.line FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.line IS NULL""",
    *_text_rules(columns=("exemption_number",)),
    """SELECT s.row_number, 'exemption_number', 'number_format', s.exemption_number FROM ingest_stage s
       JOIN ingest_typed t USING (row_number)
       WHERE t.checks_values AND t.exemption_number <> '' AND NOT t.number_formed""",
    # The registry on each sale date: one join for the whole file.
    """SELECT e.key, 'exemption_number', CASE WHEN e.outcome = 'valid' THEN 'not_for_marked_fuel' ELSE e.outcome END,
              t.exemption_number
       FROM ingest_eligibility e JOIN ingest_typed t ON t.row_number = e.key
       WHERE NOT e.marked_fuel""",
    # The same record twice in one file: the later rows name the first.
    """SELECT row_number, 'invoice_number', 'duplicate_in_file', first::text FROM (
           SELECT row_number, first_value(row_number) OVER w AS first, row_number() OVER w AS nth
           FROM ingest_typed WHERE line IS NOT NULL AND invoice_number <> ''
           WINDOW w AS (PARTITION BY invoice_number, line, record ORDER BY row_number)) d
       WHERE nth > 1""",
)
_SALES_STATE_RULES = (
    """SELECT t.row_number, 'invoice_number', 'already_reported', t.invoice_number FROM ingest_typed t
       JOIN filings_sale f ON f.account_id = %(account_id)s AND f.invoice_number = t.invoice_number
                          AND f.line = t.line AND f.revision = 0
       WHERE t.record = 'sale'""",
    """SELECT t.row_number, 'invoice_number', 'sale_not_found', t.invoice_number FROM ingest_typed t
       WHERE t.record IN ('amendment', 'void') AND t.line IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM filings_sale f WHERE f.account_id = %(account_id)s AND f.invoice_number = t.invoice_number
                                          AND f.line = t.line AND f.revision = 0)""",
    """SELECT t.row_number, 'invoice_number', 'sale_voided', t.invoice_number FROM ingest_typed t
       JOIN filings_sale f ON f.account_id = %(account_id)s AND f.invoice_number = t.invoice_number
                          AND f.line = t.line AND f.kind = 'void'
       WHERE t.record IN ('amendment', 'void')""",
)
# Accepted rows: no problem recorded. Amendments and voids take the next revision of the sale they name (at most
# one of each per sale and file: the duplicate rule); a void repeats the values of the sale as it stood.
_ACCEPTED = "NOT EXISTS (SELECT 1 FROM ingest_errors x WHERE x.row_number = t.row_number)"
_SALES_STORE = (
    f"""INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, corrects_id, sale_date,
           month, invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
           bflo_id, created_at)
       SELECT %(account_id)s, %(ingestion_id)s, t.row_number, 'sale', 0, NULL, t.sale_date, %(month_start)s,
              t.invoice_number, t.line, t.exemption_number, e.kind, e.carbon_levy_exempt, t.fuel, t.litres,
              t.bflo_id, %(now)s
       FROM ingest_typed t JOIN ingest_eligibility e ON e.key = t.row_number
       WHERE t.record = 'sale' AND {_ACCEPTED}""",
    f"""INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, corrects_id, sale_date,
           month, invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
           bflo_id, created_at)
       SELECT %(account_id)s, %(ingestion_id)s, t.row_number, t.record,
              latest.revision + row_number() OVER (PARTITION BY o.id ORDER BY t.record, t.row_number),
              o.id,
              CASE WHEN t.record = 'void' THEN latest.sale_date ELSE t.sale_date END,
              CASE WHEN t.record = 'void' THEN latest.month ELSE %(month_start)s END,
              t.invoice_number, t.line,
              CASE WHEN t.record = 'void' THEN latest.exemption_number ELSE t.exemption_number END,
              CASE WHEN t.record = 'void' THEN latest.exemption_kind ELSE e.kind END,
              CASE WHEN t.record = 'void' THEN latest.carbon_levy_exempt ELSE e.carbon_levy_exempt END,
              CASE WHEN t.record = 'void' THEN latest.fuel ELSE t.fuel END,
              CASE WHEN t.record = 'void' THEN latest.litres ELSE t.litres END,
              CASE WHEN t.record = 'void' THEN latest.bflo_id ELSE t.bflo_id END,
              %(now)s
       FROM ingest_typed t
       JOIN filings_sale o ON o.account_id = %(account_id)s AND o.invoice_number = t.invoice_number
                          AND o.line = t.line AND o.revision = 0
       JOIN LATERAL (SELECT * FROM filings_sale r WHERE r.account_id = o.account_id
                        AND r.invoice_number = o.invoice_number AND r.line = o.line
                     ORDER BY r.revision DESC LIMIT 1) latest ON true
       LEFT JOIN ingest_eligibility e ON e.key = t.row_number
       WHERE t.record IN ('amendment', 'void') AND {_ACCEPTED}""",
)

# --- Movements ---------------------------------------------------------------------------------------------------
# A movement is named by its kind, document number, BFLO and fuel: an amendment repeats them with its new values, a
# void names them (its other columns may be empty), like a sale's invoice number and line.
_MOVEMENTS_TYPED = f"""
CREATE TEMP TABLE ingest_typed AS
SELECT s.row_number,
       lower(btrim(s.record)) AS record,
       lower(btrim(s.record)) IN ('movement', 'amendment') AS checks_values,
       lower(btrim(s.record)) IN ('movement', 'amendment') AS checks_date,
       CASE WHEN lower(btrim(s.movement)) IN ('acquisition', 'import', 'disposition', 'export')
            THEN lower(btrim(s.movement)) END AS movement,
       {_date("movement_date")} AS movement_date,
       {_FUEL} AS fuel,
       {_litres()} AS litres,
       b.id AS bflo_id,
       btrim(s.document_number) AS document_number,
       btrim(s.jurisdiction) AS jurisdiction
FROM ingest_stage s {_BFLO_JOIN}
WHERE s.nfields = %(expected)s
"""
_MOVEMENT_NAMED = """m.account_id = %(account_id)s AND m.kind = t.movement AND m.document_number = t.document_number
                     AND m.bflo_id = t.bflo_id AND m.fuel = t.fuel"""
_MOVEMENTS_RULES = (
    *_common_rules(date_column="movement_date"),
    """SELECT s.row_number, 'record', 'movement_record_unknown', s.record FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.record NOT IN ('movement', 'amendment', 'void')""",
    """SELECT s.row_number, 'movement', 'movement_unknown', s.movement FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.movement IS NULL""",
    # A void names the movement's location and fuel too (the shared rules check them on the other records).
    """SELECT s.row_number, 'bflo_number', 'required', '' FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.record = 'void' AND btrim(s.bflo_number) = ''""",
    """SELECT s.row_number, 'bflo_number', 'bflo_not_yours', s.bflo_number FROM ingest_stage s
       JOIN ingest_typed t USING (row_number)
       WHERE t.record = 'void' AND btrim(s.bflo_number) <> '' AND t.bflo_id IS NULL""",
    """SELECT s.row_number, 'fuel', 'fuel_unknown', s.fuel FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.record = 'void' AND t.fuel IS NULL""",
    *_text_rules(columns=("counterparty_name", "counterparty_number")),
    *_text_rules(columns=("document_number",), when="record IS NOT NULL"),
    """SELECT row_number, 'jurisdiction', 'jurisdiction_required', '' FROM ingest_typed
       WHERE checks_values AND movement IN ('import', 'export') AND jurisdiction = ''""",
    """SELECT row_number, 'jurisdiction', 'jurisdiction_not_allowed', jurisdiction FROM ingest_typed
       WHERE checks_values AND movement IN ('acquisition', 'disposition') AND jurisdiction <> ''""",
    """SELECT row_number, 'jurisdiction', 'too_long', left(jurisdiction, 40) FROM ingest_typed
       WHERE length(jurisdiction) > 30""",
    """SELECT row_number, 'document_number', 'duplicate_in_file', first::text FROM (
           SELECT row_number, first_value(row_number) OVER w AS first, row_number() OVER w AS nth
           FROM ingest_typed WHERE movement IS NOT NULL AND document_number <> ''
           WINDOW w AS (PARTITION BY movement, document_number, bflo_id, fuel, record ORDER BY row_number)) d
       WHERE nth > 1""",
)
_MOVEMENTS_STATE_RULES = (
    f"""SELECT t.row_number, 'document_number', 'movement_already_reported', t.document_number
        FROM ingest_typed t JOIN filings_movement m ON {_MOVEMENT_NAMED} AND m.revision = 0
        WHERE t.record = 'movement'""",
    f"""SELECT t.row_number, 'document_number', 'movement_not_found', t.document_number FROM ingest_typed t
        WHERE t.record IN ('amendment', 'void') AND t.movement IS NOT NULL AND t.bflo_id IS NOT NULL
          AND t.fuel IS NOT NULL AND t.document_number <> ''
          AND NOT EXISTS (SELECT 1 FROM filings_movement m WHERE {_MOVEMENT_NAMED} AND m.revision = 0)""",
    f"""SELECT t.row_number, 'document_number', 'movement_voided', t.document_number
        FROM ingest_typed t JOIN filings_movement m ON {_MOVEMENT_NAMED} AND m.record = 'void'
        WHERE t.record IN ('amendment', 'void')""",
)
# Amendments and voids take the next revision of the movement they name (at most one of each per movement and file:
# the duplicate rule); a void repeats the values of the movement as it stood.
_MOVEMENTS_STORE = (
    f"""INSERT INTO filings_movement (account_id, ingestion_id, row_number, kind, record, revision, corrects_id,
           movement_date, month, bflo_id, fuel, litres, counterparty_name, counterparty_number, jurisdiction,
           document_number, created_at)
       SELECT %(account_id)s, %(ingestion_id)s, t.row_number, t.movement, 'movement', 0, NULL, t.movement_date,
              %(month_start)s, t.bflo_id, t.fuel, t.litres, btrim(s.counterparty_name),
              btrim(s.counterparty_number), t.jurisdiction, t.document_number, %(now)s
       FROM ingest_typed t JOIN ingest_stage s USING (row_number) WHERE t.record = 'movement' AND {_ACCEPTED}""",
    f"""INSERT INTO filings_movement (account_id, ingestion_id, row_number, kind, record, revision, corrects_id,
           movement_date, month, bflo_id, fuel, litres, counterparty_name, counterparty_number, jurisdiction,
           document_number, created_at)
       SELECT %(account_id)s, %(ingestion_id)s, t.row_number, o.kind, t.record,
              latest.revision + row_number() OVER (PARTITION BY o.id ORDER BY t.record, t.row_number),
              o.id,
              CASE WHEN t.record = 'void' THEN latest.movement_date ELSE t.movement_date END,
              CASE WHEN t.record = 'void' THEN latest.month ELSE %(month_start)s END,
              o.bflo_id, o.fuel,
              CASE WHEN t.record = 'void' THEN latest.litres ELSE t.litres END,
              CASE WHEN t.record = 'void' THEN latest.counterparty_name ELSE btrim(s.counterparty_name) END,
              CASE WHEN t.record = 'void' THEN latest.counterparty_number ELSE btrim(s.counterparty_number) END,
              CASE WHEN t.record = 'void' THEN latest.jurisdiction ELSE t.jurisdiction END,
              o.document_number, %(now)s
       FROM ingest_typed t JOIN ingest_stage s USING (row_number)
       JOIN filings_movement o ON o.account_id = %(account_id)s AND o.kind = t.movement
                              AND o.document_number = t.document_number AND o.bflo_id = t.bflo_id
                              AND o.fuel = t.fuel AND o.revision = 0
       JOIN LATERAL (SELECT * FROM filings_movement r WHERE r.account_id = o.account_id AND r.kind = o.kind
                        AND r.document_number = o.document_number AND r.bflo_id = o.bflo_id AND r.fuel = o.fuel
                     ORDER BY r.revision DESC LIMIT 1) latest ON true
       WHERE t.record IN ('amendment', 'void') AND {_ACCEPTED}""",
)

# --- Inventory counts --------------------------------------------------------------------------------------------
_INVENTORY_TYPED = f"""
CREATE TEMP TABLE ingest_typed AS
SELECT s.row_number,
       CASE WHEN lower(btrim(s.count)) IN ('opening', 'closing') THEN lower(btrim(s.count)) END AS count,
       true AS checks_values, false AS checks_date,
       {_FUEL} AS fuel,
       {_litres()} AS litres,
       b.id AS bflo_id
FROM ingest_stage s {_BFLO_JOIN}
WHERE s.nfields = %(expected)s
"""
_INVENTORY_RULES = (
    *_common_rules(date_column=None, litres_zero_ok=True),
    """SELECT s.row_number, 'count', 'count_unknown', s.count FROM ingest_stage s JOIN ingest_typed t
       USING (row_number) WHERE t.count IS NULL""",
    """SELECT row_number, 'bflo_number', 'duplicate_in_file', first::text FROM (
           SELECT row_number, first_value(row_number) OVER w AS first, row_number() OVER w AS nth
           FROM ingest_typed WHERE count IS NOT NULL AND bflo_id IS NOT NULL AND fuel IS NOT NULL
           WINDOW w AS (PARTITION BY count, bflo_id, fuel ORDER BY row_number)) d
       WHERE nth > 1""",
)
# A count already stored for the location, fuel, month and kind is a recount (the next revision), unless it
# says the same litres as the count standing: that is the same count sent again.
_INVENTORY_STATE_RULES = (
    """SELECT t.row_number, 'count', 'count_already_reported', t.count FROM ingest_typed t
       JOIN LATERAL (SELECT c.litres FROM filings_inventorycount c
                     WHERE c.account_id = %(account_id)s AND c.bflo_id = t.bflo_id AND c.fuel = t.fuel
                       AND c.month = %(month_start)s AND c.kind = t.count
                     ORDER BY c.revision DESC LIMIT 1) standing ON standing.litres = t.litres""",
)
_INVENTORY_STORE = (
    f"""INSERT INTO filings_inventorycount (account_id, ingestion_id, row_number, bflo_id, fuel, month, kind,
           revision, litres, created_at)
       SELECT %(account_id)s, %(ingestion_id)s, t.row_number, t.bflo_id, t.fuel, %(month_start)s, t.count,
              coalesce((SELECT max(c.revision) + 1 FROM filings_inventorycount c
                        WHERE c.account_id = %(account_id)s AND c.bflo_id = t.bflo_id AND c.fuel = t.fuel
                          AND c.month = %(month_start)s AND c.kind = t.count), 0),
              t.litres, %(now)s
       FROM ingest_typed t WHERE {_ACCEPTED}""",
)

SPECS: dict[str, Spec] = {
    RecordType.SALES: Spec(_SALES_TYPED, _SALES_RULES, _SALES_STATE_RULES, _SALES_STORE, registry=True),
    RecordType.MOVEMENTS: Spec(_MOVEMENTS_TYPED, _MOVEMENTS_RULES, _MOVEMENTS_STATE_RULES, _MOVEMENTS_STORE),
    RecordType.INVENTORY: Spec(_INVENTORY_TYPED, _INVENTORY_RULES, _INVENTORY_STATE_RULES, _INVENTORY_STORE),
}

# One RejectedRow per rejected row: its first problem (in column order) as field and reason, every problem in
# `errors`, the row as sent in `values`.
_REJECT = """
INSERT INTO filings_rejectedrow (ingestion_id, row_number, field, reason, errors, "values", created_at)
SELECT %(ingestion_id)s, p.row_number, p.problems -> 0 ->> 'field', p.problems -> 0 ->> 'reason', p.problems,
       to_jsonb(s) - 'row_number' - 'nfields', %(now)s
FROM (
    SELECT row_number, jsonb_agg(jsonb_build_object(
               'field', field, 'code', code,
               'reason', replace(coalesce(%(messages)s::jsonb ->> code, code), '{value}', coalesce(value, '')))
           ORDER BY coalesce(array_position(%(columns)s::text[], field), 0), code) AS problems
    FROM (SELECT DISTINCT row_number, field, code, value FROM ingest_errors) d
    GROUP BY row_number
) p JOIN ingest_stage s USING (row_number)
"""


def drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(_TABLES)}")
        cursor.execute("RESET jit")
        cursor.execute("RESET work_mem")
        cursor.execute("RESET default_statistics_target")


def stage_create(*, record_type: str) -> None:
    """The session's staging table for `record_type` (text columns in the file's order)."""
    drop()
    # JIT compiling costs more than it saves on these plain scans and hash joins (a few hundred ms a statement,
    # measured by bench/bench_sales.py): off for this session's run, back on in drop().
    # The hash joins of a million rows fit in 64 MB (4 MB, the default, splits them into batches on disk).
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET work_mem = '64MB'")
    columns = ", ".join(f'"{name}" text' for name in COLUMNS[record_type])
    # The defaults serve a CSV file COPY'd as it is (stage_copy_csv): one record per line, the header on line 1,
    # so the n-th record is line n + 1; the other doors give both values themselves.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE ingest_stage (row_number integer GENERATED BY DEFAULT AS IDENTITY (START WITH 2),"
            f" nfields integer NOT NULL DEFAULT {len(COLUMNS[record_type])}, {columns})"
        )
        cursor.execute(
            "CREATE TEMP TABLE ingest_errors (row_number integer, field text, code text, value text)"
        )


def stage_copy(*, record_type: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY `rows` (row number, number of values, then the values in column order) into the staging table."""
    names = ", ".join(("row_number", "nfields", *(f'"{name}"' for name in COLUMNS[record_type])))
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, in Django's connection: COPY is psycopg's
        with raw.copy(f"COPY ingest_stage ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def stage_copy_csv(*, record_type: str, pieces: Iterable[bytes], header: bool) -> int:
    """COPY a CSV file's bytes as they are into the staging table (`pieces`: whole lines, with the header line
    first if `header`); the rows copied. PostgreSQL reads them (FORCE_NOT_NULL: an empty value is '' as the csv
    reader gives it); the caller sends only lines both readers read alike (no quote, one record a line)."""
    names = ", ".join(f'"{name}"' for name in COLUMNS[record_type])
    options = f"FORMAT csv, FORCE_NOT_NULL ({names})" + (", HEADER" if header else "")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY ingest_stage ({names}) FROM STDIN ({options})") as copy:
            for piece in pieces:
                copy.write(piece)
        return int(raw.rowcount)


def stage_empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingest_stage")


def errors_add(errors: list[tuple[int, str, str, str]]) -> None:
    """Problems the caller found itself (row number, field, code, value), recorded with the rules' own."""
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO ingest_errors (row_number, field, code, value) VALUES (%s, %s, %s, %s)", errors
        )


def _params(*, record_type: str, account: Any, month: str, ingestion_id: int) -> dict[str, Any]:
    return {
        **eligibility_params(),
        "account_id": account.pk,
        "account_number": account.number,
        "month": month,
        "month_start": f"{month}-01",
        "ingestion_id": ingestion_id,
        "expected": len(COLUMNS[record_type]),
        # The application's clock, not the database's: a sale's acceptance decides its claim period, and the
        # demo's history and the tests (time-machine) move only the application's.
        "now": timezone.now(),
    }


def validate(*, record_type: str, account: Any, month: str, ingestion_id: int) -> tuple[int, int]:
    """Run every rule over the staged rows: (rows staged, rows with a problem)."""
    spec = SPECS[record_type]
    params = _params(record_type=record_type, account=account, month=month, ingestion_id=ingestion_id)
    with connection.cursor() as cursor:
        cursor.execute(spec.typed, params)
        cursor.execute("CREATE UNIQUE INDEX ON ingest_typed (row_number)")
        # Statistics before the registry join: without them the planner guesses a few thousand rows and looks
        # each sale's status period up by index (5 times slower on 100,000 rows than hashing them). A sample of
        # 3,000 rows (statistics target 10, not 100's 30,000) tells it the row count and the few values it needs.
        cursor.execute("SET default_statistics_target = 10")
        cursor.execute("ANALYZE ingest_typed")
        cursor.execute("RESET default_statistics_target")
        if spec.registry:
            cursor.execute(_SALES_ELIGIBILITY, params)
            cursor.execute("CREATE UNIQUE INDEX ON ingest_eligibility (key)")
        for rule in (*spec.rules, *spec.state_rules):
            cursor.execute(f"INSERT INTO ingest_errors (row_number, field, code, value) {rule}", params)
        return _counts(cursor)


def _counts(cursor: Any) -> tuple[int, int]:
    cursor.execute("SELECT count(*) FROM ingest_stage")
    staged = cursor.fetchone()[0]
    cursor.execute("SELECT count(DISTINCT row_number) FROM ingest_errors")
    return staged, cursor.fetchone()[0]


def store(
    *,
    record_type: str,
    account: Any,
    month: str,
    ingestion_id: int,
    messages: dict[str, str],
    accept: bool,
    only_if_all_accepted: bool = False,
) -> tuple[int, int]:
    """In the caller's transaction, after the account's lock: the rules that depend on what is stored run again,
    then the accepted rows are stored (unless `accept` is false: validate-only; or `only_if_all_accepted` and a
    row was rejected) and every rejected row recorded. Returns (rows accepted, rows rejected)."""
    spec = SPECS[record_type]
    params = _params(record_type=record_type, account=account, month=month, ingestion_id=ingestion_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('filings.sales'), %s)", [account.pk])
        for rule in spec.state_rules:
            cursor.execute(f"INSERT INTO ingest_errors (row_number, field, code, value) {rule}", params)
        cursor.execute("CREATE INDEX ON ingest_errors (row_number)")
        staged, rejected = _counts(cursor)
        if accept and not (only_if_all_accepted and rejected):
            for statement in spec.store:
                cursor.execute(statement, params)
        cursor.execute(
            _REJECT, {**params, "messages": json.dumps(messages), "columns": list(COLUMNS[record_type])}
        )
    return staged - rejected, rejected
