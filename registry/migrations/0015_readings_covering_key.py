"""Readings: the (connection, hour) key carries the energy.

The primary key INCLUDEs kwh, so reading a few connections' hours (the shapes, groups and baselines of
detection, the charts) is an index-only scan of pages ordered by connection, not a page of the heap for
every hour: the heap lies in the order readings arrive, hour by hour across all meters.

Rebuilding the key takes an exclusive lock on the readings for as long as an index build over them.
"""

from django.db import migrations

KEY = "registry_meterreading_pkey"


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0014_detection_in_the_field"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"ALTER TABLE registry_meterreading DROP CONSTRAINT {KEY},"
            f" ADD CONSTRAINT {KEY} PRIMARY KEY (connection_id, period_start) INCLUDE (kwh)",
            reverse_sql=f"ALTER TABLE registry_meterreading DROP CONSTRAINT {KEY},"
            f" ADD CONSTRAINT {KEY} PRIMARY KEY (connection_id, period_start)",
        ),
    ]
