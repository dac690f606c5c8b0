"""The staff roles (docs/rules.md, "Who sees what") as groups with their permissions."""

from django.db import migrations

from registry.roles import AUDITORS, INSPECTORS, REGULATORS, roles_migrate


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[REGULATORS, INSPECTORS, AUDITORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(roles_migrate, drop_roles)]
