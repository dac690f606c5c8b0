"""Monthly partitions of the readings for a benchmark's world, made over plain psycopg (as
registry.services.partitions makes them in the application: one partition per UTC month)."""

import datetime as dt


def make_partitions(conn, start: dt.datetime, end: dt.datetime) -> None:
    """Partitions for every UTC month that [start, end) touches."""
    month = dt.date(start.astimezone(dt.UTC).year, start.astimezone(dt.UTC).month, 1)
    last = (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    while month <= last:
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS registry_meterreading_p{month:%Y%m} PARTITION OF registry_meterreading"
            f" FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO ('{following.isoformat()} 00:00+00')"
        )
        month = following
