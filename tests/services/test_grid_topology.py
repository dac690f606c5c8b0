"""Grid topology: `parent_meter_id` in grid_connections.csv, and the checks the import and the admin share."""

import itertools

import pytest
from django.db import IntegrityError, transaction
from django.utils.translation import override
from pghistory.models import Events

from registry.errors import ImportRejected
from registry.models import GridConnection
from registry.services.imports import Outcome, register_import
from registry.services.topology import connection_parent_problem
from tests.factories import GridConnectionFactory
from tests.register_files import write_files

HEADER = "meter_id,operator,region,tariff,parent_meter_id\n"


def csv_of(*rows: str) -> str:
    """grid_connections.csv with one row per `meter_id,parent_meter_id` (line 2 onwards)."""
    lines = []
    for row in rows:
        meter, parent = row.split(",")
        lines.append(f"{meter},Pavlodar REC,pavlodar,residential,{parent}\n")
    return HEADER + "".join(lines)


@pytest.fixture
def run_import(db, tmp_path):
    """Import a grid_connections.csv, in English; return the file's report."""
    runs = itertools.count(1)

    def run(text: str):
        directory = write_files(tmp_path / f"run{next(runs)}", {"grid_connections.csv": text})
        with override("en"):
            return register_import(directory=directory).files[0]

    return run


@pytest.fixture
def import_errors(run_import):
    """Import a file that must be rejected; return its error lines."""

    def run(text: str) -> list[str]:
        with pytest.raises(ImportRejected) as caught:
            run_import(text)
        return [str(error) for error in caught.value.errors]

    return run


def parents() -> dict[str, str | None]:
    return dict(GridConnection.objects.values_list("meter_id", "parent__meter_id").order_by("meter_id"))


def test_a_parent_may_come_later_in_the_file(run_import):
    run_import(csv_of("H-1,TP-1", "H-2,TP-1", "TP-1,FEEDER", "FEEDER,"))

    assert parents() == {"FEEDER": None, "H-1": "TP-1", "H-2": "TP-1", "TP-1": "FEEDER"}


def test_a_parent_may_be_a_meter_already_in_the_register(run_import):
    GridConnectionFactory(meter_id="TP-1")

    report = run_import(csv_of("H-1,TP-1"))

    assert parents() == {"H-1": "TP-1", "TP-1": None}
    assert report.counts[Outcome.CREATED] == 1


def test_importing_the_same_file_again_changes_nothing(run_import):
    text = csv_of("H-1,TP-1", "TP-1,", "H-2,TP-1")
    run_import(text)
    events = Events.objects.count()

    report = run_import(text)

    assert report.counts == {Outcome.CREATED: 0, Outcome.UPDATED: 0, Outcome.UNCHANGED: 3}
    assert Events.objects.count() == events


def test_a_new_parent_alone_counts_as_an_update(run_import):
    run_import(csv_of("H-1,TP-1", "TP-1,", "TP-2,"))

    report = run_import(csv_of("H-1,TP-2", "TP-1,", "TP-2,"))

    assert report.counts == {Outcome.CREATED: 0, Outcome.UPDATED: 1, Outcome.UNCHANGED: 2}
    assert parents()["H-1"] == "TP-2"


def test_an_empty_cell_clears_the_parent(run_import):
    run_import(csv_of("H-1,TP-1", "TP-1,"))

    run_import(csv_of("H-1,", "TP-1,"))

    assert parents() == {"H-1": None, "TP-1": None}


def test_a_file_without_the_column_clears_the_parent_like_any_optional_column(run_import):
    run_import(csv_of("H-1,TP-1", "TP-1,"))

    run_import("meter_id,operator,region,tariff\nH-1,Pavlodar REC,pavlodar,residential\n")

    assert parents()["H-1"] is None


def test_it_names_an_unknown_parent_and_saves_nothing(import_errors):
    errors = import_errors(csv_of("TP-1,", "H-1,TP-1", "H-2,PARENT-X"))

    assert errors == ["grid_connections.csv:4: parent_meter_id: unknown meter PARENT-X"]
    assert not GridConnection.objects.exists()


def test_it_refuses_a_meter_that_is_its_own_parent(import_errors):
    errors = import_errors(csv_of("TP-1,", "H-1,H-1"))

    assert errors == ["grid_connections.csv:3: parent_meter_id: a meter cannot be its own parent"]
    assert not GridConnection.objects.exists()


def test_it_refuses_a_cycle_of_two(import_errors):
    errors = import_errors(csv_of("A,B", "B,A"))

    assert errors == ["grid_connections.csv:2: parent_meter_id: cycle: A → B → A"]
    assert not GridConnection.objects.exists()


def test_it_refuses_a_cycle_of_three_once_from_its_first_line(import_errors):
    errors = import_errors(csv_of("X,B", "A,B", "C,A", "B,C"))

    # X leads into the cycle without being part of it; the cycle is named once, from its first line (A's).
    assert errors == ["grid_connections.csv:3: parent_meter_id: cycle: A → B → C → A"]
    assert not GridConnection.objects.exists()


def test_it_refuses_a_cycle_closed_through_meters_already_in_the_register(run_import, import_errors):
    run_import(csv_of("A,B", "B,C", "C,"))
    before = parents()

    errors = import_errors(csv_of("C,A"))

    assert errors == ["grid_connections.csv:2: parent_meter_id: cycle: C → A → B → C"]
    assert parents() == before


def test_every_topology_error_of_the_file_is_reported(import_errors):
    errors = import_errors(csv_of("A,B", "B,A", "H-1,H-1", "H-2,NOWHERE"))

    assert errors == [
        "grid_connections.csv:2: parent_meter_id: cycle: A → B → A",
        "grid_connections.csv:4: parent_meter_id: a meter cannot be its own parent",
        "grid_connections.csv:5: parent_meter_id: unknown meter NOWHERE",
    ]


def test_moving_a_subtree_under_another_branch_is_no_cycle(run_import):
    run_import(csv_of("A,B", "B,C", "C,", "D,"))

    run_import(csv_of("C,D", "B,D"))

    assert parents() == {"A": "B", "B": "D", "C": "D", "D": None}


def test_the_database_refuses_a_meter_that_is_its_own_parent(db):
    meter = GridConnectionFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        GridConnection.objects.filter(pk=meter.pk).update(parent=meter)


def test_the_admin_check_names_the_cycle_a_new_parent_would_close(db):
    top = GridConnectionFactory(meter_id="TOP")
    middle = GridConnectionFactory(meter_id="MID", parent=top)
    bottom = GridConnectionFactory(meter_id="LOW", parent=middle)

    with override("en"):
        assert connection_parent_problem(connection_id=top.pk, meter_id="TOP", parent_id=bottom.pk) == (
            "cycle: TOP → LOW → MID → TOP"
        )
        assert connection_parent_problem(connection_id=top.pk, meter_id="TOP", parent_id=top.pk) == (
            "a meter cannot be its own parent"
        )
        assert connection_parent_problem(connection_id=bottom.pk, meter_id="LOW", parent_id=top.pk) is None
        assert connection_parent_problem(connection_id=None, meter_id="NEW", parent_id=bottom.pk) is None
