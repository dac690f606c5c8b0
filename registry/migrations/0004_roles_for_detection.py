from django.db import migrations

from registry.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_detection_and_ingestion")]
    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
