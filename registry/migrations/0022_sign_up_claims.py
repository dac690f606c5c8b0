# A firm that signs up claims its BIN (claimed_bin) until a regulator verifies it; only then is it the firm's BIN,
# so a sign-up blocks no one and tells no one which BINs are registered (issue 15).
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

import registry.validators


class Migration(migrations.Migration):
    dependencies = [("registry", "0021_portal_hardening")]

    operations = [
        migrations.AddField(
            model_name="firm",
            name="claimed_bin",
            field=models.CharField(
                blank=True,
                help_text="Checked by a regulator before it becomes the firm's BIN.",
                max_length=12,
                validators=[registry.validators.validate_bin],
                verbose_name="BIN given at sign-up",
            ),
        ),
        migrations.AlterField(
            model_name="firm",
            name="bin",
            field=models.CharField(
                blank=True,
                max_length=12,
                null=True,
                unique=True,
                validators=[registry.validators.validate_bin],
                verbose_name="BIN",
            ),
        ),
        # Firms already waiting keep their BIN: it was theirs before this change.
        migrations.RunSQL(
            "UPDATE registry_firm SET claimed_bin = bin WHERE verification = 'pending'", migrations.RunSQL.noop
        ),
        migrations.AddConstraint(
            model_name="firm",
            constraint=models.CheckConstraint(
                condition=models.Q(("bin__isnull", False), ("verification", "pending"), _connector="OR"),
                name="firm_bin_unless_pending",
            ),
        ),
        # The audit trail's copy of a firm follows.
        pgtrigger.migrations.RemoveTrigger(
            model_name="firm",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="firm",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="firm",
            name="delete_delete",
        ),
        migrations.AddField(
            model_name="firmevent",
            name="claimed_bin",
            field=models.CharField(
                blank=True,
                help_text="Checked by a regulator before it becomes the firm's BIN.",
                max_length=12,
                validators=[registry.validators.validate_bin],
                verbose_name="BIN given at sign-up",
            ),
        ),
        migrations.AlterField(
            model_name="firmevent",
            name="bin",
            field=models.CharField(
                blank=True, max_length=12, null=True, validators=[registry.validators.validate_bin], verbose_name="BIN"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="firm",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_firmevent" ("address", "bin", "claimed_bin", "contact_person", "created_at", "email", "id", "name", "origin", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "region", "updated_at", "verification") VALUES (NEW."address", NEW."bin", NEW."claimed_bin", NEW."contact_person", NEW."created_at", NEW."email", NEW."id", NEW."name", NEW."origin", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone", NEW."region", NEW."updated_at", NEW."verification"); RETURN NULL;',
                    hash="011eaec8ae517540779cf63ed1cfcf923dc0efc8",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_c215e",
                    table="registry_firm",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="firm",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "registry_firmevent" ("address", "bin", "claimed_bin", "contact_person", "created_at", "email", "id", "name", "origin", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "region", "updated_at", "verification") VALUES (NEW."address", NEW."bin", NEW."claimed_bin", NEW."contact_person", NEW."created_at", NEW."email", NEW."id", NEW."name", NEW."origin", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."region", NEW."updated_at", NEW."verification"); RETURN NULL;',
                    hash="f176a71e56e4911348dec7c0aa7f63da13e5a26a",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_b92f6",
                    table="registry_firm",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="firm",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "registry_firmevent" ("address", "bin", "claimed_bin", "contact_person", "created_at", "email", "id", "name", "origin", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "region", "updated_at", "verification") VALUES (OLD."address", OLD."bin", OLD."claimed_bin", OLD."contact_person", OLD."created_at", OLD."email", OLD."id", OLD."name", OLD."origin", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phone", OLD."region", OLD."updated_at", OLD."verification"); RETURN NULL;',
                    hash="b9db9a9dce33dca82dab7f4bec2d6aae138bdb7a",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_daad5",
                    table="registry_firm",
                    when="AFTER",
                ),
            ),
        ),
    ]
