"""Readings partitioned by UTC month (docs/rules.md, "Readings by month").

The table is renamed aside, a partitioned table of the same shape, constraints
and key takes its name, a partition is made for every month that holds
readings, the readings are copied across and counted, and only then is the old
table dropped: a registry's readings move without losing one (the migration
fails, and changes nothing, if the counts differ). The table is locked for as
long as the copy takes (about a minute for 10M readings on two cores).
"""

from django.db import migrations

PARENT = "registry_meterreading"
OLD = "registry_meterreading_unpartitioned"


def _months(cursor, table):
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', period_start AT TIME ZONE 'UTC')::date FROM {table} ORDER BY 1"  # nosec B608
    )
    return [row[0] for row in cursor.fetchall()]


def _count(cursor, table):
    cursor.execute(f"SELECT count(*) FROM {table}")  # nosec B608
    return cursor.fetchone()[0]


def _rebuild(cursor, *, by_month: bool) -> None:
    """Rename the readings aside, make the new table under their name, copy them across, count, drop the old."""
    cursor.execute(f"ALTER TABLE {PARENT} RENAME TO {OLD}")
    cursor.execute(f"ALTER INDEX {PARENT}_pkey RENAME TO {OLD}_pkey")
    partitioned = " PARTITION BY RANGE (period_start)" if by_month else ""
    cursor.execute(f"CREATE TABLE {PARENT} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){partitioned}")
    cursor.execute(
        f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY (connection_id, period_start) INCLUDE (kwh)"
    )
    if by_month:
        for month in _months(cursor, OLD):
            following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
            cursor.execute(
                f"CREATE TABLE {PARENT}_p{month:%Y%m} PARTITION OF {PARENT}"
                f" FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO ('{following.isoformat()} 00:00+00')"
            )
    cursor.execute(f"INSERT INTO {PARENT} SELECT connection_id, period_start, kwh FROM {OLD}")  # nosec B608
    moved, held = _count(cursor, PARENT), _count(cursor, OLD)
    if moved != held:
        raise RuntimeError(f"readings by month: {moved} readings moved of {held}; nothing changed")
    cursor.execute(f"DROP TABLE {OLD}")


def partition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _rebuild(cursor, by_month=True)


def unpartition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _rebuild(cursor, by_month=False)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0015_readings_covering_key"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
