"""Identifier checks shared by models, forms and imports."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_check_digit(first_eleven: str) -> int | None:
    """Return the check digit of a BIN/IIN's first 11 digits, or None if none exists."""
    digits = [int(c) for c in first_eleven]
    s = sum(d * i for i, d in enumerate(digits, start=1)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(digits, _SECOND_WEIGHTS, strict=True)) % 11
        if s == 10:
            return None
    return s


def bin_is_valid(value: str) -> bool:
    """Tell whether a string is a 12-digit BIN/IIN with a correct check digit."""
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    check = bin_check_digit(value[:11])
    return check is not None and check == int(value[11])


def validate_bin(value: str) -> None:
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValidationError(_("A BIN/IIN is exactly 12 digits."), code="bin_format")
    if not bin_is_valid(value):
        raise ValidationError(_("The BIN/IIN check digit is wrong."), code="bin_checksum")


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone: use an IANA name such as Asia/Almaty."),
            code="time_zone",
            params={"value": value},
        )
