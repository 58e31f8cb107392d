"""The registry's changes as SQL over a staging table: every rule is one statement over every staged row, so a
file of a million changes costs a few statements, not a query per row (ARCHITECTURE.md, "Bulk data").

services.py streams the rows it has parsed into `registry_stage` with COPY, then calls `plan`, `rule_errors`
and, when no row has an error, `apply`. Every statement runs in the caller's transaction, after the
registry's advisory lock (`lock`), so no other change lands between the checks and the writes.

The states a row starts from: the certificate's latest status period (first row of its number in the file) or
the result of the row before it for the same number (rows of one number are read in line order); an active
AFFB whose 3-year term ended before the row's date is `lapsed` (eligibility not renewed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

STAGE_COLUMNS = (
    "line",
    "action",
    "number",
    "kind",
    "effective_on",
    "grant_until",
    "holder_reference",
    "holder_name",
    "line1",
    "line2",
    "city",
    "province",
    "postal_code",
    "has_details",
    "reason",
)

# Dropped first too: a caller's transaction may already hold them (two changes in one transaction, or a test's).
_STAGE = (
    "DROP TABLE IF EXISTS registry_stage, registry_errors, registry_plan",
    """
CREATE TEMP TABLE registry_stage (
    line integer PRIMARY KEY,
    action text NOT NULL,
    number text,
    kind text,
    effective_on date,
    grant_until date,
    holder_reference text,
    holder_name text,
    line1 text,
    line2 text,
    city text,
    province text,
    postal_code text,
    has_details boolean NOT NULL,
    reason text NOT NULL
) ON COMMIT DROP""",
    "CREATE TEMP TABLE registry_errors (line integer, field text, code text, value text) ON COMMIT DROP",
)

# One row per staged change of a certificate, with where it stands: the certificate (if registered before),
# its place among its number's rows, the rows around it, the AFFB term in force before and after it, and the
# state it starts from.
_PLAN = """
CREATE TEMP TABLE registry_plan ON COMMIT DROP AS
WITH current AS (
    SELECT DISTINCT ON (p.certificate_id) p.certificate_id, p.status, lower(p.during) AS since
    FROM programs_exemptionstatusperiod p
    JOIN programs_exemptioncertificate c ON c.id = p.certificate_id
    JOIN registry_stage s ON s.number = c.number
    ORDER BY p.certificate_id, lower(p.during) DESC
), placed AS (
    SELECT s.line, s.action, s.number, s.kind, s.effective_on, s.reason,
           c.id AS certificate_id,
           cur.status AS current_status,
           cur.since AS current_since,
           row_number() OVER w AS position,
           first_value(s.action) OVER w AS first_action,
           first_value(s.line) OVER w AS first_line,
           lag(s.action) OVER w AS previous_action,
           lag(s.line) OVER w AS previous_line,
           lag(s.effective_on) OVER w AS previous_on,
           lead(s.effective_on) OVER w AS next_on,
           coalesce(max(s.grant_until) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), c.eligible_until)
               AS until_before,
           coalesce(max(s.grant_until) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), c.eligible_until)
               AS until_after
    FROM registry_stage s
    LEFT JOIN programs_exemptioncertificate c ON c.number = s.number
    LEFT JOIN current cur ON cur.certificate_id = c.id
    WHERE s.number IS NOT NULL
    WINDOW w AS (PARTITION BY s.number ORDER BY s.line)
), stated AS (
    SELECT placed.*,
           CASE WHEN position > 1 THEN
                    CASE previous_action WHEN 'suspend' THEN 'suspended' WHEN 'cancel' THEN 'cancelled' ELSE 'active' END
                ELSE current_status END AS held
    FROM placed
)
SELECT stated.*,
       CASE WHEN held = 'active' AND until_before IS NOT NULL AND effective_on >= until_before THEN 'lapsed'
            ELSE held END AS state
FROM stated
"""

# Each rule: the rows it refuses, as (line, field, code, value); services.py turns the code into the message.
_RULES = (
    # A number is registered once.
    """SELECT line, 'number', 'already_registered', number FROM registry_plan
       WHERE action = 'register' AND certificate_id IS NOT NULL""",
    """SELECT line, 'number', 'registered_above', first_line::text FROM registry_plan
       WHERE action = 'register' AND position > 1 AND certificate_id IS NULL""",
    # A change needs a number registered before, or registered earlier in the same file.
    """SELECT line, 'number', 'unknown_number', number FROM registry_plan
       WHERE certificate_id IS NULL AND first_action <> 'register'""",
    # History is not rewritten: each change starts after the one before it.
    """SELECT line, 'effective_date', 'not_after_previous', previous_line || '|' || previous_on FROM registry_plan
       WHERE position > 1 AND effective_on <= previous_on""",
    """SELECT line, 'effective_date', 'not_after_current', current_since::text FROM registry_plan
       WHERE position = 1 AND certificate_id IS NOT NULL AND action <> 'register' AND effective_on <= current_since""",
    # A cancellation is final (a holder who qualifies again gets a new number).
    """SELECT line, 'action', 'after_cancel', number FROM registry_plan
       WHERE state = 'cancelled' AND action <> 'register'""",
    """SELECT line, 'action', 'already_suspended', number FROM registry_plan
       WHERE action = 'suspend' AND state = 'suspended'""",
    """SELECT line, 'action', 'suspend_lapsed', until_before::text FROM registry_plan
       WHERE action = 'suspend' AND state = 'lapsed'""",
    """SELECT line, 'action', 'reinstate_not_suspended', number FROM registry_plan
       WHERE action = 'reinstate' AND state IN ('active', 'lapsed')""",
    # An AFFB whose 3-year term ended while suspended is renewed, not reinstated.
    """SELECT line, 'action', 'reinstate_lapsed', until_before::text FROM registry_plan
       WHERE action = 'reinstate' AND state = 'suspended' AND until_before IS NOT NULL
         AND effective_on >= until_before""",
    # Holders: a new holder's details come once, on the first row naming it; a holder's change only by an
    # update_holder row (of a holder registered before, or on an earlier line), once per file.
    """WITH named AS (
           SELECT s.line, s.has_details, s.holder_reference, h.id AS holder_id,
                  row_number() OVER w AS nth, first_value(s.line) OVER w AS first_line
           FROM registry_stage s LEFT JOIN programs_exemptionholder h ON h.reference = s.holder_reference
           WHERE s.action = 'register'
           WINDOW w AS (PARTITION BY s.holder_reference ORDER BY s.line))
       SELECT line, 'holder_name',
              CASE WHEN holder_id IS NOT NULL THEN 'holder_exists'
                   WHEN nth = 1 THEN 'holder_details_required'
                   ELSE 'holder_details_above' END,
              CASE WHEN holder_id IS NULL AND nth > 1 THEN first_line::text ELSE holder_reference END
       FROM named
       WHERE (holder_id IS NOT NULL AND has_details) OR (holder_id IS NULL AND nth = 1 AND NOT has_details)
          OR (holder_id IS NULL AND nth > 1 AND has_details)""",
    """WITH named AS (
           SELECT s.line, s.holder_reference, h.id AS holder_id,
                  row_number() OVER w AS nth, first_value(s.line) OVER w AS first_line
           FROM registry_stage s LEFT JOIN programs_exemptionholder h ON h.reference = s.holder_reference
           WHERE s.action = 'update_holder'
           WINDOW w AS (PARTITION BY s.holder_reference ORDER BY s.line))
       SELECT line, 'holder_reference',
              CASE WHEN nth > 1 THEN 'holder_updated_above' ELSE 'unknown_holder' END,
              CASE WHEN nth > 1 THEN first_line::text ELSE holder_reference END
       FROM named
       WHERE nth > 1
          OR (holder_id IS NULL AND NOT EXISTS (
                  SELECT 1 FROM registry_stage r
                  WHERE r.action = 'register' AND r.has_details AND r.holder_reference = named.holder_reference
                    AND r.line < named.line))""",
)

_APPLY = (
    # New holders, from the first row naming each.
    """INSERT INTO programs_exemptionholder
           (reference, name, line1, line2, city, province, postal_code, created_at, updated_at)
       SELECT DISTINCT ON (holder_reference) holder_reference, holder_name, line1, line2, city, province,
              postal_code, now(), now()
       FROM registry_stage WHERE action = 'register' AND has_details
       ORDER BY holder_reference, line""",
    """UPDATE programs_exemptionholder h
       SET name = s.holder_name, line1 = s.line1, line2 = s.line2, city = s.city, province = s.province,
           postal_code = s.postal_code, updated_at = now()
       FROM registry_stage s WHERE s.action = 'update_holder' AND h.reference = s.holder_reference""",
    """INSERT INTO programs_exemptioncertificate (kind, number, holder_id, registered_on, eligible_until, created_at)
       SELECT s.kind, s.number, h.id, s.effective_on, s.grant_until, now()
       FROM registry_stage s JOIN programs_exemptionholder h ON h.reference = s.holder_reference
       WHERE s.action = 'register'""",
    """UPDATE programs_exemptioncertificate c SET eligible_until = last.until_after
       FROM (SELECT DISTINCT ON (number) number, until_after FROM registry_plan ORDER BY number, line DESC) last
       WHERE c.number = last.number AND c.eligible_until IS DISTINCT FROM last.until_after""",
    # The open (or still running) period of each certificate ends the day its first change starts...
    """UPDATE programs_exemptionstatusperiod p
       SET during = daterange(lower(p.during), f.effective_on)
       FROM registry_plan f
       WHERE f.position = 1 AND f.certificate_id IS NOT NULL AND p.certificate_id = f.certificate_id
         AND (upper_inf(p.during) OR upper(p.during) > f.effective_on)""",
    # ...and each change opens its own, until the next change of the same number; an active one no later than
    # the end of the AFFB term in force (LEAST ignores NULL: no next change, no expiry).
    """INSERT INTO programs_exemptionstatusperiod
           (certificate_id, status, during, reason, recorded_at, recorded_by_id, registry_import_id)
       SELECT c.id, r.status,
              daterange(r.effective_on, CASE WHEN r.status = 'active' THEN LEAST(r.next_on, r.until_after)
                                             ELSE r.next_on END),
              r.reason, now(), %(recorded_by)s, %(registry_import)s
       FROM (SELECT plan.*, CASE action WHEN 'suspend' THEN 'suspended' WHEN 'cancel' THEN 'cancelled'
                                        ELSE 'active' END AS status
             FROM registry_plan plan) r
       JOIN programs_exemptioncertificate c ON c.number = r.number""",
)

# Serialises every write to the registry (the same key for the admin's one change and a million-row file).
_LOCK_KEY = "programs.registries"


def lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_LOCK_KEY])


def stage(rows: Iterable[tuple[Any, ...]]) -> None:
    """Create the staging tables and COPY `rows` (tuples in STAGE_COLUMNS order) into them, streaming."""
    with connection.cursor() as cursor:
        for statement in _STAGE:
            cursor.execute(statement)
        raw = cursor.cursor  # psycopg's own cursor, in Django's transaction: COPY is psycopg's
        with raw.copy(f"COPY registry_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def plan() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_PLAN)


def rule_errors(*, limit: int) -> tuple[list[tuple[int, str, str, str]], int]:
    """(the first `limit` refusals in line order, how many there are in all)."""
    with connection.cursor() as cursor:
        for rule in _RULES:
            cursor.execute(f"INSERT INTO registry_errors (line, field, code, value) {rule}")
        cursor.execute("SELECT count(*) FROM registry_errors")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT line, field, code, value FROM registry_errors ORDER BY line, field LIMIT %s", [limit]
        )
        return list(cursor.fetchall()), total


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT action, count(*) FROM registry_stage GROUP BY action")
        return dict(cursor.fetchall())


def apply(*, recorded_by: int | None, registry_import: int | None) -> None:
    with connection.cursor() as cursor:
        for statement in _APPLY:
            cursor.execute(statement, {"recorded_by": recorded_by, "registry_import": registry_import})
