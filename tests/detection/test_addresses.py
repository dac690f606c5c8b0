"""building_key: one building's key from an address as grid companies write it (docs/rules.md, "Detection")."""

import pytest

from registry.detection.addresses import building_key

ABAI_12 = [
    "Abai street 12",
    "Abai street 12, apt 4",
    "Abai street 12 / 7",
    "ABAI ST. 12",
    "ул. Abai 12, кв. 5",
    "Almaty, Abai st, 12",
]


def test_every_way_of_writing_one_building_gives_one_key():
    keys = {address: building_key(address) for address in ABAI_12}

    assert len(set(keys.values())) == 1, keys
    assert keys["Abai street 12"] != ""


@pytest.mark.parametrize("address", ["Abai street 14", "Abai street 14, apt 4", "ул. Abai 120"])
def test_another_house_number_on_the_street_is_another_building(address):
    assert building_key(address) != building_key("Abai street 12")


@pytest.mark.parametrize("address", ["Satpaev street 12", "Satpaev street 12, apt 4", "ул. Dostyk 12, кв. 5"])
def test_the_same_number_on_another_street_is_another_building(address):
    assert building_key(address) != building_key("Abai street 12")


@pytest.mark.parametrize("address", ["Kokterek", "с. Kokterek", "Almaty region, Kokterek village", "", "  "])
def test_a_village_name_without_a_house_number_names_no_building(address):
    assert building_key(address) == ""
