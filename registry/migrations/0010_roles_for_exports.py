from django.db import migrations

from registry.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_export_permission")]
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
