"""registry/clock.py: one home for time; people's dates are Almaty dates, meter data UTC instants."""

import datetime as dt
import re
from pathlib import Path

import pytest

from registry import clock

ROOT = Path(__file__).resolve().parent.parent


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_it_is_the_only_module_that_turns_the_clock_into_a_date():
    reading_a_date = re.compile(r"localdate\(|now\(\)\s*\.\s*date\(|date\.today\(|datetime\.today\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("registry", "config")
        for path in (ROOT / folder).rglob("*.py")
        if path != ROOT / "registry" / "clock.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if reading_a_date.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (utc(2026, 12, 31, 18, 30), dt.date(2026, 12, 31)),  # 23:30 in Almaty
        (utc(2026, 12, 31, 19, 30), dt.date(2027, 1, 1)),  # 00:30 in Almaty, still 31 December in UTC
        (utc(2027, 1, 1, 0, 30), dt.date(2027, 1, 1)),
    ],
)
def test_a_date_is_the_date_in_almaty(instant, day):
    assert clock.date_of(instant) == day


def test_today_follows_the_registry_zone(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: utc(2026, 11, 30, 19, 30))  # 1 December, 00:30 in Almaty
    assert clock.today() == dt.date(2026, 12, 1)


def test_a_declaration_is_due_by_the_end_of_the_15th_in_almaty():
    assert clock.declaration_last_day(dt.date(2026, 11, 1)) == dt.date(2026, 12, 15)
    assert clock.declaration_deadline(dt.date(2026, 11, 1)) == utc(2026, 12, 15, 19)
    assert clock.declaration_deadline(dt.date(2026, 12, 1)) == utc(2027, 1, 15, 19)


def test_a_month_of_readings_is_bounded_by_utc_midnights():
    assert clock.month_bounds_utc(dt.date(2026, 12, 1)) == (utc(2026, 12, 1), utc(2027, 1, 1))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 11, 15), 2, dt.date(2027, 1, 15)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 10), -1, dt.date(2025, 12, 10)),
        (dt.date(2026, 12, 1), 6, dt.date(2027, 6, 1)),
    ],
)
def test_months_later_keep_the_day_or_take_the_months_last(day, months, expected):
    assert clock.add_months(day, months) == expected


def test_years_later_turn_29_february_into_28_february():
    assert clock.add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert clock.add_years(dt.date(2024, 2, 29), -4) == dt.date(2020, 2, 29)


def test_the_month_being_declared_is_the_one_before():
    assert clock.declaration_month_due(dt.date(2027, 1, 10)) == dt.date(2026, 12, 1)
    assert clock.previous_month(dt.date(2027, 1, 31)) == dt.date(2026, 12, 1)
    assert clock.next_month(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)


def test_hours_are_utc_hours():
    almaty = dt.timezone(dt.timedelta(hours=5))
    assert clock.hour_floor(dt.datetime(2027, 1, 1, 0, 45, 12, tzinfo=almaty)) == utc(2026, 12, 31, 19)
