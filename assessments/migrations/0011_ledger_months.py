"""The ledger's net movement per account and month of processed dates (LedgerMonth, ADR 0017), kept by triggers
on the ledger in the same transaction as each insert, and filled here from the ledger as it stands.

Statement-level triggers with transition tables: one grouped UPSERT per INSERT statement, however many rows it
inserts (ledger_post's one row, bulk_create's list, a benchmark's COPY of 50,000), so the months stay set-based.
UPDATE and DELETE are refused by the append-only trigger (0002); where the table's owner disables it (the
benchmarks removing their own rows), these triggers still take the rows away from their months, dropping a month
with no transaction left. TRUNCATE of the ledger empties the months too."""

import django.db.models.deletion
from django.db import migrations, models

LEDGER = "assessments_ledgertransaction"

FUNCTION = """
CREATE OR REPLACE FUNCTION assessments_ledger_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM assessments_ledgermonth;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE assessments_ledgermonth AS m
        SET net = m.net - gone.net, transactions = m.transactions - gone.transactions
        FROM (
            SELECT account_id, date_trunc('month', processed_on)::date AS month,
                   SUM(amount) AS net, COUNT(*) AS transactions
            FROM old_rows GROUP BY 1, 2
        ) AS gone
        WHERE m.account_id = gone.account_id AND m.month = gone.month;
        DELETE FROM assessments_ledgermonth AS m
        USING (SELECT DISTINCT account_id, date_trunc('month', processed_on)::date AS month FROM old_rows) AS gone
        WHERE m.account_id = gone.account_id AND m.month = gone.month AND m.transactions = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO assessments_ledgermonth (account_id, month, net, transactions)
        SELECT account_id, date_trunc('month', processed_on)::date, SUM(amount), COUNT(*)
        FROM new_rows GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (account_id, month) DO UPDATE
        SET net = assessments_ledgermonth.net + EXCLUDED.net, transactions = assessments_ledgermonth.transactions + EXCLUDED.transactions;
    END IF;
    RETURN NULL;
END;
$$;
"""

# PostgreSQL allows transition tables only on a trigger of one event: one trigger per event, one function.
TRIGGERS = """
LOCK TABLE assessments_ledgertransaction IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER assessments_ledgertransaction_months_insert AFTER INSERT ON assessments_ledgertransaction
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assessments_ledger_months();
CREATE TRIGGER assessments_ledgertransaction_months_update AFTER UPDATE ON assessments_ledgertransaction
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assessments_ledger_months();
CREATE TRIGGER assessments_ledgertransaction_months_delete AFTER DELETE ON assessments_ledgertransaction
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION assessments_ledger_months();
CREATE TRIGGER assessments_ledgertransaction_months_truncate AFTER TRUNCATE ON assessments_ledgertransaction
    FOR EACH STATEMENT EXECUTE FUNCTION assessments_ledger_months();
"""

DROP_TRIGGERS = "\n".join(
    f"DROP TRIGGER IF EXISTS {LEDGER}_months_{event} ON {LEDGER};"
    for event in ("insert", "update", "delete", "truncate")
)

# Under the lock taken above (no posting lands between the fill and the triggers).
FILL = """
INSERT INTO assessments_ledgermonth (account_id, month, net, transactions)
SELECT account_id, date_trunc('month', processed_on)::date, SUM(amount), COUNT(*)
FROM assessments_ledgertransaction GROUP BY 1, 2;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0010_objection_relations_constraints"),
        ("programs", "0006_registrations"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "month",
                    models.DateField(
                        help_text="The first day of the month of the processed dates", verbose_name="month"
                    ),
                ),
                ("net", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="net movement")),
                ("transactions", models.PositiveIntegerField(verbose_name="transactions")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_months",
                        to="programs.programaccount",
                    ),
                ),
            ],
            options={
                "verbose_name": "ledger month",
                "ordering": ["account", "month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "month"), name="ledger_month_one_per_account_month"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)), name="ledger_month_is_first_of_month"
                    ),
                ],
            },
        ),
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS assessments_ledger_months();"),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(FILL, "DELETE FROM assessments_ledgermonth;"),
    ]
