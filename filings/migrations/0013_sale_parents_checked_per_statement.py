"""A sale's account, ingestion and BFLO are checked once per statement instead of by a foreign key per row
(filings.sales.models.Sale says why). The triggers keep what the foreign keys guaranteed:

- after an INSERT or UPDATE of sales, the distinct parents its rows name are locked FOR KEY SHARE (as a foreign
  key's check locks each) and each must exist, or the statement fails with foreign_key_violation;
- a parent row that sales name cannot be deleted or have its id changed (foreign_key_violation), whatever does
  it (the ORM's PROTECT says so first, with the objects).

The lock makes the two sides safe together: a parent deleted before the sales' statement is not found by it; a
parent being deleted makes it wait, then not find it; sales committed before a delete are seen by the delete's
check, which runs once it holds the row's lock."""

import django.db.models.deletion
from django.db import migrations, models

_CHILD = """
CREATE FUNCTION filings_sale_parents_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    accounts bigint[];
    ingestions bigint[];
    bflos bigint[];
    found integer;
BEGIN
    SELECT array_agg(DISTINCT account_id), array_agg(DISTINCT ingestion_id), array_agg(DISTINCT bflo_id)
      INTO accounts, ingestions, bflos
      FROM (SELECT DISTINCT account_id, ingestion_id, bflo_id FROM sale_rows) parents;
    IF accounts IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM programs_programaccount WHERE id = ANY (accounts) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found <> cardinality(accounts) THEN
        RAISE foreign_key_violation USING MESSAGE = 'filings_sale: an account the sales name does not exist';
    END IF;
    PERFORM 1 FROM filings_ingestion WHERE id = ANY (ingestions) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found <> cardinality(ingestions) THEN
        RAISE foreign_key_violation USING MESSAGE = 'filings_sale: an ingestion the sales name does not exist';
    END IF;
    PERFORM 1 FROM programs_bulkfuellocation WHERE id = ANY (bflos) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found <> cardinality(bflos) THEN
        RAISE foreign_key_violation USING MESSAGE = 'filings_sale: a BFLO the sales name does not exist';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER filings_sale_parents_inserted AFTER INSERT ON filings_sale
    REFERENCING NEW TABLE AS sale_rows FOR EACH STATEMENT EXECUTE FUNCTION filings_sale_parents_check();
CREATE TRIGGER filings_sale_parents_updated AFTER UPDATE ON filings_sale
    REFERENCING NEW TABLE AS sale_rows FOR EACH STATEMENT EXECUTE FUNCTION filings_sale_parents_check();
"""
_PARENT = """
CREATE FUNCTION filings_sale_parent_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM filings_sale WHERE %I = $1)', TG_ARGV[0]) INTO named USING OLD.id;
    IF named THEN
        RAISE foreign_key_violation
            USING MESSAGE = format('%s %s is named by marked-fuel sales (filings_sale.%s)', TG_TABLE_NAME, OLD.id,
                                   TG_ARGV[0]);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER filings_sale_parent_kept BEFORE DELETE OR UPDATE OF id ON programs_programaccount
    FOR EACH ROW EXECUTE FUNCTION filings_sale_parent_kept('account_id');
CREATE TRIGGER filings_sale_parent_kept BEFORE DELETE OR UPDATE OF id ON filings_ingestion
    FOR EACH ROW EXECUTE FUNCTION filings_sale_parent_kept('ingestion_id');
CREATE TRIGGER filings_sale_parent_kept BEFORE DELETE OR UPDATE OF id ON programs_bulkfuellocation
    FOR EACH ROW EXECUTE FUNCTION filings_sale_parent_kept('bflo_id');
"""
_DROP = """
DROP TRIGGER filings_sale_parent_kept ON programs_programaccount;
DROP TRIGGER filings_sale_parent_kept ON filings_ingestion;
DROP TRIGGER filings_sale_parent_kept ON programs_bulkfuellocation;
DROP FUNCTION filings_sale_parent_kept();
DROP TRIGGER filings_sale_parents_inserted ON filings_sale;
DROP TRIGGER filings_sale_parents_updated ON filings_sale;
DROP FUNCTION filings_sale_parents_check();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0011_movement_revisions"),
        ("filings", "0012_tourism_levy"),
        ("programs", "0008_exemption_registry"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="sale",
            name="filings_sal_ingesti_829590_idx",
        ),
        migrations.AlterField(
            model_name="sale",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="marked_fuel_sales",
                to="programs.programaccount",
            ),
        ),
        migrations.AlterField(
            model_name="sale",
            name="bflo",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programs.bulkfuellocation",
                verbose_name="BFLO",
            ),
        ),
        migrations.AlterField(
            model_name="sale",
            name="corrects",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrections",
                to="filings.sale",
            ),
        ),
        migrations.AlterField(
            model_name="sale",
            name="ingestion",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sales",
                to="filings.ingestion",
            ),
        ),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(
                condition=models.Q(("corrects__isnull", False)), fields=["corrects"], name="sale_corrects_idx"
            ),
        ),
        migrations.RunSQL(_CHILD + _PARENT, _DROP),
    ]
