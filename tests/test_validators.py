"""The BIN/IIN check digit (docs/rules.md, "Identifiers")."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

from registry.validators import bin_check_digit, bin_is_valid, validate_bin, validate_time_zone

SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def first_sum(prefix: str) -> int:
    return sum(int(d) * i for i, d in enumerate(prefix, start=1)) % 11


def second_sum(prefix: str) -> int:
    return sum(int(d) * w for d, w in zip(prefix, SECOND_WEIGHTS, strict=True)) % 11


def test_it_accepts_a_bin_checked_by_hand():
    # 2·1 + 9·2 + 1·3 + 4·4 + 1·5 + 7·6 + 7·7 + 7·8 + 6·9 + 3·10 + 1·11 = 286 = 26·11, so a12 = 0
    assert bin_is_valid("291417776310")


@pytest.mark.parametrize("prefix", ["22014000001", "85010130001", "99999999998", "00000000001", "12345678901"])
def test_it_accepts_the_check_digit_it_computes(prefix):
    check = bin_check_digit(prefix)

    assert check is not None
    assert bin_is_valid(prefix + str(check))


def test_it_rejects_every_other_check_digit():
    prefix = "22014000001"
    right = bin_check_digit(prefix)

    wrong = [d for d in range(10) if d != right and bin_is_valid(f"{prefix}{d}")]

    assert wrong == []


def test_it_says_the_check_digit_is_wrong():
    with override("en"), pytest.raises(ValidationError) as caught:
        validate_bin("291417776311")

    assert caught.value.code == "bin_checksum"
    assert caught.value.messages == ["The BIN/IIN check digit is wrong."]


def test_it_finds_no_check_digit_when_both_sums_are_ten():
    prefix = "77680075310"
    assert (first_sum(prefix), second_sum(prefix)) == (10, 10)

    assert bin_check_digit(prefix) is None
    assert not any(bin_is_valid(f"{prefix}{d}") for d in range(10))


def test_it_finds_a_double_ten_prefix_by_brute_force_and_refuses_it():
    candidates = (f"{n:011d}" for n in itertools.count())
    prefix = next(p for p in candidates if first_sum(p) == 10 and second_sum(p) == 10)

    assert bin_check_digit(prefix) is None
    assert [d for d in range(10) if bin_is_valid(f"{prefix}{d}")] == []


def test_it_uses_the_second_weights_when_the_first_sum_is_ten():
    prefix = "37783533740"
    assert first_sum(prefix) == 10
    assert second_sum(prefix) == 0

    assert bin_check_digit(prefix) == 0
    assert bin_is_valid("377835337400")
    # 10 is not a digit, so the first sum alone would accept nothing; the second gives 0.
    assert not bin_is_valid("377835337401")


@pytest.mark.parametrize("value", ["29141777631", "2914177763100", "", "291417776310 "])
def test_it_rejects_the_wrong_length(value):
    with override("en"), pytest.raises(ValidationError) as caught:
        validate_bin(value)

    assert not bin_is_valid(value)
    assert caught.value.messages == ["A BIN/IIN is exactly 12 digits."]


@pytest.mark.parametrize("value", ["29141777631A", "ABCDEFGHIJKL", "2914-7776310", "+91417776310"])
def test_it_rejects_letters_and_signs(value):
    with pytest.raises(ValidationError) as caught:
        validate_bin(value)

    assert not bin_is_valid(value)
    assert caught.value.code == "bin_format"


@pytest.mark.parametrize(
    "value",
    [
        "٢٩١٤١٧٧٧٦٣١٠",  # Arabic-Indic digits of 291417776310
        "２９１４１７７７６３１０",  # full-width digits
        "29141777631٠",  # one Arabic-Indic zero as the check digit
    ],
)
def test_it_rejects_non_ascii_digits(value):
    assert value.isdigit() and len(value) == 12  # Python itself calls these digits

    with pytest.raises(ValidationError) as caught:
        validate_bin(value)

    assert not bin_is_valid(value)
    assert caught.value.code == "bin_format"


def test_it_rejects_a_value_that_is_not_text():
    assert not bin_is_valid(291417776310)


@pytest.mark.parametrize("name", ["Asia/Almaty", "Asia/Aqtobe", "Europe/Moscow", "UTC"])
def test_it_accepts_a_known_time_zone(name):
    validate_time_zone(name)


@pytest.mark.parametrize("name", ["Asia/Nowhere", "", "../etc/passwd", "asia/almaty"])
def test_it_refuses_an_unknown_time_zone(name):
    with override("en"), pytest.raises(ValidationError) as caught:
        validate_time_zone(name)

    assert caught.value.messages == [f"“{name}” is not a time zone: use an IANA name such as Asia/Almaty."]
