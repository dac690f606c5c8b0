from django.db import migrations

from registry.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_portal")]
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
