from django.db import migrations

from registry.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_task_outbox")]
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
