"""80020 XML readings: each grid operator's time zone, and the values its metering system flagged in an import."""

import pgtrigger.compiler
import pgtrigger.migrations
import registry.clock
import registry.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0017_reading_archive"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="readingimport",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="readingimport",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="readingimport",
            name="delete_delete",
        ),
        migrations.AddField(
            model_name="gridoperatoraccount",
            name="time_zone",
            field=models.CharField(
                default=registry.clock.registry_zone_name,
                help_text="The zone of the local times in the operator's 80020 files, as an IANA name (Asia/Almaty).",
                max_length=64,
                validators=[registry.validators.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
        migrations.AddField(
            model_name="readingimport",
            name="flagged_values",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="80020 values the metering system marked with a non-zero status (loaded all the same).",
                verbose_name="flagged values",
            ),
        ),
        migrations.AddField(
            model_name="readingimportevent",
            name="flagged_values",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="80020 values the metering system marked with a non-zero status (loaded all the same).",
                verbose_name="flagged values",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="readingimport",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_readingimportevent" ("corrected", "errors", "finished_at", "flagged_values", "id", "inserted", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "source", "started_at", "status", "unchanged", "user_id") VALUES (NEW."corrected", NEW."errors", NEW."finished_at", NEW."flagged_values", NEW."id", NEW."inserted", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."rows", NEW."source", NEW."started_at", NEW."status", NEW."unchanged", NEW."user_id"); RETURN NULL;',
                    hash="c47b432c90241c6c7d8d2b038e029f90e4ee9a7f",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_e858b",
                    table="registry_readingimport",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="readingimport",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "registry_readingimportevent" ("corrected", "errors", "finished_at", "flagged_values", "id", "inserted", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "source", "started_at", "status", "unchanged", "user_id") VALUES (NEW."corrected", NEW."errors", NEW."finished_at", NEW."flagged_values", NEW."id", NEW."inserted", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."rows", NEW."source", NEW."started_at", NEW."status", NEW."unchanged", NEW."user_id"); RETURN NULL;',
                    hash="86b806f4df191312f0db6617d04b76f8e198a0ae",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_82846",
                    table="registry_readingimport",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="readingimport",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_readingimportevent" ("corrected", "errors", "finished_at", "flagged_values", "id", "inserted", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rows", "source", "started_at", "status", "unchanged", "user_id") VALUES (OLD."corrected", OLD."errors", OLD."finished_at", OLD."flagged_values", OLD."id", OLD."inserted", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."rows", OLD."source", OLD."started_at", OLD."status", OLD."unchanged", OLD."user_id"); RETURN NULL;',
                    hash="3a9d939421078afc6a8f34b3a790f638866fae72",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_24653",
                    table="registry_readingimport",
                    when="AFTER",
                ),
            ),
        ),
    ]
