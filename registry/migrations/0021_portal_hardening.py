# Issue 15, the portal's part: what a firm files about a person is its own (Ownership.filed_*), facility
# references are never given twice (FacilityNumbering), devices are bounded, and licence documents are stored
# under names of the registry's own.
import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

import registry.models.licences


def devices(verbose_name: str) -> models.PositiveIntegerField:
    limit = django.core.validators.MaxValueValidator(1000000, "At most %(limit_value)s devices: check the number.")
    return models.PositiveIntegerField(blank=True, null=True, validators=[limit], verbose_name=verbose_name)


def document_file() -> models.FileField:
    return models.FileField(
        storage=registry.models.licences._document_storage,
        upload_to=registry.models.licences._document_path,
        verbose_name="file",
    )


# Each ownership's filing starts as the person the registry has: what every firm was shown until now. Run
# while the audit triggers are off, so the copy writes no audit event of its own.
COPY_FILINGS = """
UPDATE registry_ownership o SET filed_full_name = p.full_name, filed_is_pep = p.is_pep
  FROM registry_person p WHERE p.id = o.person_id
"""

# Each firm's numbering starts past every F-<BIN>-<n> it was given, deleted facilities included (the audit
# trail keeps their references).
SEED_NUMBERING = r"""
INSERT INTO registry_facilitynumbering (firm_id, last_number)
SELECT f.id, max(substr(r.ref, 16)::int)
  FROM (SELECT ref FROM registry_facility UNION SELECT ref FROM registry_facilityevent) r
  JOIN registry_firm f ON f.bin = substr(r.ref, 3, 12)
 WHERE r.ref ~ '^F-[0-9]{12}-[0-9]{1,9}$'
 GROUP BY f.id
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0020_readingcorrection_set_based")]

    operations = [
        migrations.CreateModel(
            name="FacilityNumbering",
            fields=[
                (
                    "firm",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="registry.firm",
                        verbose_name="firm",
                    ),
                ),
                ("last_number", models.PositiveIntegerField(default=0, verbose_name="last facility number")),
            ],
            options={"verbose_name": "facility numbering", "verbose_name_plural": "facility numbering"},
        ),
        migrations.RunSQL(SEED_NUMBERING, migrations.RunSQL.noop),
        pgtrigger.migrations.RemoveTrigger(model_name="ownership", name="insert_insert"),
        pgtrigger.migrations.RemoveTrigger(model_name="ownership", name="update_update"),
        pgtrigger.migrations.RemoveTrigger(model_name="ownership", name="delete_delete"),
        migrations.AddField(
            model_name="ownership",
            name="filed_full_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="full name as the firm filed it"),
        ),
        migrations.AddField(
            model_name="ownership",
            name="filed_is_pep",
            field=models.BooleanField(default=False, verbose_name="PEP as the firm filed it"),
        ),
        migrations.AddField(
            model_name="ownershipevent",
            name="filed_full_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="full name as the firm filed it"),
        ),
        migrations.AddField(
            model_name="ownershipevent",
            name="filed_is_pep",
            field=models.BooleanField(default=False, verbose_name="PEP as the firm filed it"),
        ),
        migrations.RunSQL(COPY_FILINGS, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="ownership",
            constraint=models.CheckConstraint(
                condition=models.Q(("filed_full_name", ""), _negated=True), name="ownership_filed_name_not_blank"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ownership",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_ownershipevent" ("filed_full_name", "filed_is_pep", "firm_id", "id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "share_percent") VALUES (NEW."filed_full_name", NEW."filed_is_pep", NEW."firm_id", NEW."id", NEW."person_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."role", NEW."share_percent"); RETURN NULL;',
                    hash="bccfe2c32ea66f6b70d1cf0c6c247524bea1b322",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_566f8",
                    table="registry_ownership",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ownership",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "registry_ownershipevent" ("filed_full_name", "filed_is_pep", "firm_id", "id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "share_percent") VALUES (NEW."filed_full_name", NEW."filed_is_pep", NEW."firm_id", NEW."id", NEW."person_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."role", NEW."share_percent"); RETURN NULL;',
                    hash="aef87d9ec202b0dc2f751e8aaa38239d4194341e",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_f4c48",
                    table="registry_ownership",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ownership",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_ownershipevent" ("filed_full_name", "filed_is_pep", "firm_id", "id", "person_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "share_percent") VALUES (OLD."filed_full_name", OLD."filed_is_pep", OLD."firm_id", OLD."id", OLD."person_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."role", OLD."share_percent"); RETURN NULL;',
                    hash="f5d0462adebeaef7ff0404e1f65154696960b80b",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_5ab69",
                    table="registry_ownership",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AlterField(model_name="facility", name="devices", field=devices("devices")),
        migrations.AlterField(model_name="facilityevent", name="devices", field=devices("devices")),
        migrations.AlterField(model_name="powerdeclaration", name="devices", field=devices("devices operating")),
        migrations.AlterField(model_name="powerdeclarationevent", name="devices", field=devices("devices operating")),
        migrations.AlterField(model_name="licencedocument", name="file", field=document_file()),
        migrations.AlterField(model_name="licencedocumentevent", name="file", field=document_file()),
    ]
