"""Corrections recorded set-based (issue 15): an append-only table, nothing run per row when they are written.

The pghistory triggers copied each correction into `registry_readingcorrectionevent`, one subtransaction per
row; each one that failed (on an unset setting) made PostgreSQL scan the transaction's pending foreign-key
checks, two more with every row: a load's time grew with the square of its corrections. The copies go without
loss: a correction was never changed, so its event held its own values, and the event's context and time were
those of its import's event (same transaction); should a correction have been changed or deleted after all,
the migration stops rather than drop that record. Updates and deletes are refused by statement-level triggers.
The foreign keys lose their database checks (as the readings'), the connection its own index (the correction
index begins with it), and the import a b-tree for a BRIN index (the table grows in the order of its imports).
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def refuse_to_drop_changes(apps, schema_editor):
    """Stop if any correction was ever changed or deleted: the events about to be dropped are its only record."""
    events = apps.get_model("registry", "ReadingCorrectionEvent").objects.exclude(pgh_label="insert")
    if events.exists():
        raise RuntimeError(
            f"Reading corrections were changed or deleted ({events.count()} events in "
            "registry_readingcorrectionevent). Keep those events elsewhere (manage.py export audit) and delete "
            "them from that table, then migrate again: this migration drops it."
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0019_roles_for_archive")]

    operations = [
        migrations.RunPython(refuse_to_drop_changes, migrations.RunPython.noop),
        pgtrigger.migrations.RemoveTrigger(model_name="readingcorrection", name="insert_insert"),
        pgtrigger.migrations.RemoveTrigger(model_name="readingcorrection", name="update_update"),
        pgtrigger.migrations.RemoveTrigger(model_name="readingcorrection", name="delete_delete"),
        migrations.RemoveField(model_name="readingcorrectionevent", name="connection"),
        migrations.RemoveField(model_name="readingcorrectionevent", name="pgh_context"),
        migrations.RemoveField(model_name="readingcorrectionevent", name="pgh_obj"),
        migrations.RemoveField(model_name="readingcorrectionevent", name="reading_import"),
        migrations.DeleteModel(name="ReadingCorrectionEvent"),
        migrations.AlterField(
            model_name="readingcorrection",
            name="connection",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reading_corrections",
                to="registry.gridconnection",
                verbose_name="connection",
            ),
        ),
        migrations.AlterField(
            model_name="readingcorrection",
            name="reading_import",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrections",
                to="registry.readingimport",
                verbose_name="import",
            ),
        ),
        migrations.AddIndex(
            model_name="readingcorrection",
            index=django.contrib.postgres.indexes.BrinIndex(
                autosummarize=True, fields=["reading_import"], name="correction_import_idx"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="readingcorrection",
            trigger=pgtrigger.compiler.Trigger(
                name="correction_append_only_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='\n                IF EXISTS (SELECT 1 FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") ) THEN\n                    RAISE EXCEPTION\n                        \'pgtrigger: Cannot update rows from % table\',\n                    TG_TABLE_NAME;\n                END IF;\n                RETURN NULL;\n                ',
                    hash="0498b523f255c51d3ac93a0bf8b18efadbf54916",
                    level="STATEMENT",
                    operation="UPDATE",
                    pgid="pgtrigger_correction_append_only_update_7e1a8",
                    referencing="REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ",
                    table="registry_readingcorrection",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="readingcorrection",
            trigger=pgtrigger.compiler.Trigger(
                name="correction_append_only_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n                IF EXISTS (SELECT 1 FROM old_values ) THEN\n                    RAISE EXCEPTION\n                        'pgtrigger: Cannot delete rows from % table',\n                    TG_TABLE_NAME;\n                END IF;\n                RETURN NULL;\n                ",
                    hash="2d60f8fe5c3c4d0501fa499236cff80c51747a38",
                    level="STATEMENT",
                    operation="DELETE",
                    pgid="pgtrigger_correction_append_only_delete_65bca",
                    referencing="REFERENCING OLD TABLE AS old_values ",
                    table="registry_readingcorrection",
                    when="AFTER",
                ),
            ),
        ),
    ]
