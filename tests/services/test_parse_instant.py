"""One reader of ISO 8601 instants, for the readings feed and `manage.py detect --as-of`."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry.services.csvfiles import parse_instant

AS_OF_REFUSED = "--as-of must be an ISO 8601 instant with an offset or Z, e.g. 2026-11-24T00:00Z"


@pytest.mark.parametrize(
    "text, instant",
    [
        ("2025-03-01T10:00Z", dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)),
        ("2025-03-01T15:00+05:00", dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)),
        ("2025-03-01T10:00:00.000+00:00", dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)),
    ],
)
def test_an_instant_with_its_offset_is_read_in_utc(text, instant):
    parsed = parse_instant(text)

    assert parsed == instant
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "text", ["2025-03-01T10:00", "2025-03-01", "yesterday", "2025-02-30T10:00Z", "0001-01-01T00:00+01:00", ""]
)
def test_a_local_time_a_date_or_an_impossible_instant_is_not_an_instant(text):
    assert parse_instant(text) is None


@pytest.mark.parametrize("as_of", ["2025-03-01T10:00", "0001-01-01T00:00+01:00"], ids=["no offset", "out of range"])
def test_detect_refuses_an_as_of_that_is_not_an_instant_with_its_message(db, as_of):
    with pytest.raises(CommandError) as refused:
        call_command("detect", "--as-of", as_of, stdout=StringIO())

    assert str(refused.value) == AS_OF_REFUSED
