from django.db import migrations

from registry.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("registry", "0018_readings_80020")]
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
