"""Migration 0021 on a registry that has data: filings copied from the persons, facility numbers past every ref."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import BIN_A, BIN_B

BEFORE = ("registry", "0020_readingcorrection_set_based")
AFTER = ("registry", "0021_portal_hardening")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_each_persons_filing_and_numbers_past_deleted_facilities():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = _migrate(BEFORE)
    try:
        Firm, Person, Ownership, Facility = (
            apps.get_model("registry", name) for name in ("Firm", "Person", "Ownership", "Facility")
        )
        alpha = Firm.objects.create(bin=BIN_A, name="Alpha", region="pavlodar")
        beta = Firm.objects.create(bin=BIN_B, name="Beta", region="karaganda")
        person = Person.objects.create(person_id="P-1", full_name="Bolat Bekov", iin="", is_pep=True)
        for firm in (alpha, beta):
            Ownership.objects.create(firm=firm, person=person, role="beneficial_owner")
        for n in (1, 2, 3):
            Facility.objects.create(ref=f"F-{BIN_A}-{n}", firm=alpha, name="site", region="pavlodar", capacity_mw=1)
        Facility.objects.filter(ref=f"F-{BIN_A}-3").delete()

        apps = _migrate(AFTER)

        Ownership, Numbering = (apps.get_model("registry", name) for name in ("Ownership", "FacilityNumbering"))
        assert set(Ownership.objects.values_list("firm__bin", "filed_full_name", "filed_is_pep")) == {
            (BIN_A, "Bolat Bekov", True),
            (BIN_B, "Bolat Bekov", True),
        }
        assert list(Numbering.objects.values_list("firm__bin", "last_number")) == [(BIN_A, 3)]
    finally:
        MigrationExecutor(connection).migrate(latest)
