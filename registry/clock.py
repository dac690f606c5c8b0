"""Time in the registry: people's dates in the registry's zone, meter data in UTC instants.

The convention (docs/rules.md, "Time"):

- A date people read and act on (licence validity, declaration deadlines,
  reminders, "today", "overdue", the public register) is a date in the
  registry's time zone, `settings.TIME_ZONE` (Asia/Almaty). A licence valid
  until 31 December is in force until midnight of 31 December in Almaty.
- Meter readings, detection windows and the month bounds of readings are UTC
  instants.
- Detection judges a licence on the registry-zone date of its `as_of`.

This module is the only place that asks the system clock for a date or turns
an instant into a date; nothing else calls `timezone.now().date()` or
`timezone.localdate()` (tests/test_clock.py checks the source for that).
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

# A month's declaration is due by the end of this day of the following month (registry zone).
DECLARATION_DEADLINE_DAY = 15


def registry_zone() -> zoneinfo.ZoneInfo:
    """The zone of the dates people act on."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def registry_zone_name() -> str:
    """The registry zone's IANA name (the default zone of a grid operator's local times)."""
    return settings.TIME_ZONE


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now().astimezone(dt.UTC)


def hour_floor(instant: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding `instant` (meter readings and detection runs are hourly)."""
    return instant.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def date_of(instant: dt.datetime) -> dt.date:
    """The registry-zone date of an instant."""
    return instant.astimezone(registry_zone()).date()


def today() -> dt.date:
    """Today's date in the registry's zone."""
    return date_of(now())


def day_start(day: dt.date) -> dt.datetime:
    """The first instant (UTC) of a registry-zone day."""
    return dt.datetime.combine(day, dt.time(), tzinfo=registry_zone()).astimezone(dt.UTC)


def month_of(day: dt.date) -> dt.date:
    """The month holding `day`, as its first day."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), on the month's last day where it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes 28 February."""
    return add_months(day, 12 * years)


def next_month(month: dt.date) -> dt.date:
    return add_months(month_of(month), 1)


def previous_month(month: dt.date) -> dt.date:
    return add_months(month_of(month), -1)


def month_bounds_utc(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month of readings, as UTC instants (a month of meter data ends at 00:00 UTC)."""
    following = next_month(month)
    return (
        dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC),
        dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC),
    )


def declaration_last_day(month: dt.date) -> dt.date:
    """The last day (registry zone) on which month M's declaration is on time: the 15th of M+1."""
    return next_month(month).replace(day=DECLARATION_DEADLINE_DAY)


def declaration_deadline(month: dt.date) -> dt.datetime:
    """The instant month M's declaration becomes overdue: the end of the 15th of M+1 in the registry's zone."""
    return day_start(declaration_last_day(month) + dt.timedelta(days=1))


def declaration_month_due(day: dt.date) -> dt.date:
    """The month whose declaration is being filed on `day` (the month before)."""
    return previous_month(day)
