"""Importing an existing register from its CSV files (docs/rules.md, "Bulk formats").

All or nothing: every file is read in one transaction, every bad row is
reported with its file, line and column, and any error rolls everything back.
Rows are upserted by their natural key, so importing the same files twice
changes nothing.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.errors import ImportRejected
from registry.models import (
    Facility,
    FacilityConnection,
    Firm,
    GridConnection,
    Licence,
    LicenceCoverage,
    Ownership,
    Person,
    PowerDeclaration,
    Region,
)
from registry.services import csvfiles as c
from registry.services.declarations import declaration_file
from registry.services.topology import TopologyRejected, connection_parents_set


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class FileReport:
    file: str
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))

    @property
    def changed(self) -> int:
        return self.counts[Outcome.CREATED] + self.counts[Outcome.UPDATED]


@dataclass
class RegisterImportReport:
    files: list[FileReport]

    @property
    def changed(self) -> int:
        return sum(report.changed for report in self.files)


class RowProblem(Exception):
    """A row that parsed but cannot be applied (an unknown reference, a constraint)."""

    def __init__(self, column: str, reason: str):
        self.column = column
        self.reason = reason
        super().__init__(reason)


REGIONS = Region.values
MW = c.decimal(max_digits=10, places=3)

FIRM_COLUMNS = [
    c.Column("bin", c.bin_number, required=True),
    c.Column("name", c.text(255), required=True),
    c.Column("region", c.choice(REGIONS), required=True),
    c.Column("address", c.text(500), default=""),
    c.Column("email", c.email, default=""),
]
OWNER_COLUMNS = [
    c.Column("firm_bin", c.bin_number, required=True),
    c.Column("person_id", c.text(64), required=True),
    c.Column("full_name", c.text(255), required=True),
    c.Column("iin", c.bin_number, default=""),
    c.Column("role", c.choice(Ownership.Role.values), default=Ownership.Role.BENEFICIAL_OWNER),
    c.Column("share_percent", c.decimal(max_digits=5, places=2, maximum=Decimal(100))),
    c.Column("is_pep", c.boolean, default=False),
]
CONNECTION_COLUMNS = [
    c.Column("meter_id", c.text(64), required=True),
    c.Column("operator", c.text(255), required=True),
    c.Column("consumer_name", c.text(255), default=""),
    c.Column("consumer_bin", c.bin_number, default=""),
    c.Column("region", c.choice(REGIONS), required=True),
    c.Column("address", c.text(500), default=""),
    c.Column("tariff", c.choice(GridConnection.Tariff.values), required=True),
    c.Column("contracted_mw", MW),
    c.Column("parent_meter_id", c.text(64)),
]
FACILITY_COLUMNS = [
    c.Column("ref", c.text(64), required=True),
    c.Column("firm_bin", c.bin_number, required=True),
    c.Column("name", c.text(255), required=True),
    c.Column("region", c.choice(REGIONS), required=True),
    c.Column("address", c.text(500), default=""),
    c.Column("latitude", c.decimal(max_digits=9, places=6, minimum=Decimal(-90), maximum=Decimal(90))),
    c.Column("longitude", c.decimal(max_digits=9, places=6, minimum=Decimal(-180), maximum=Decimal(180))),
    c.Column("meter_ids", c.ref_list, required=True),
    c.Column("capacity_mw", MW, required=True),
    c.Column("devices", c.integer),
]
LICENCE_COLUMNS = [
    c.Column("number", c.text(32), required=True),
    c.Column("firm_bin", c.bin_number, required=True),
    c.Column("facility_refs", c.ref_list, required=True),
    c.Column("capacity_mw", MW, required=True),
    c.Column("valid_from", c.date, required=True),
    c.Column("valid_until", c.date, required=True),
    c.Column("status", c.choice(Licence.Status.values), required=True),
    c.Column("subtype", c.choice(Licence.Subtype.values), default=Licence.Subtype.OWN_DATA_CENTRE),
]
DECLARATION_COLUMNS = [
    c.Column("facility_ref", c.text(64), required=True),
    c.Column("month", c.month, required=True),
    c.Column("consumed_mwh", c.decimal(max_digits=12, places=3), required=True),
    c.Column("peak_mw", MW),
    c.Column("devices", c.integer),
    c.Column(
        "power_source",
        c.choice(PowerDeclaration.PowerSource.values),
        default=PowerDeclaration.PowerSource.GRID_EXCHANGE,
    ),
]


def _firm_id(bin_number: str, column: str = "firm_bin") -> int:
    firm_id = Firm.objects.filter(bin=bin_number).values_list("id", flat=True).first()
    if firm_id is None:
        raise RowProblem(column, _("no firm with BIN %(bin)s in the register or in firms.csv") % {"bin": bin_number})
    return firm_id


def _upsert(model: type[models.Model], key: dict[str, Any], values: dict[str, Any]) -> tuple[Any, Outcome]:
    """Create the row with this natural key, or update the fields that differ."""
    obj = model.objects.filter(**key).first()
    if obj is None:
        return model.objects.create(**key, **values), Outcome.CREATED
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, Outcome.UNCHANGED
    for name in changed:
        setattr(obj, name, values[name])
    auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=changed + auto_now)
    return obj, Outcome.UPDATED


def _sync_links(through: type[models.Model], owner: dict[str, Any], target: str, wanted_ids: set[int]) -> bool:
    """Make the set of links of one owner exactly `wanted_ids`; tell whether anything changed."""
    existing = set(through.objects.filter(**owner).values_list(f"{target}_id", flat=True))
    if existing == wanted_ids:
        return False
    through.objects.filter(**owner, **{f"{target}_id__in": existing - wanted_ids}).delete()
    through.objects.bulk_create(through(**owner, **{f"{target}_id": pk}) for pk in sorted(wanted_ids - existing))
    return True


def _ids_by(model: type[models.Model], key: str, wanted: list[str], column: str, label: str) -> set[int]:
    found = dict(model.objects.filter(**{f"{key}__in": wanted}).values_list(key, "id"))
    missing = [value for value in wanted if value not in found]
    if missing:
        raise RowProblem(column, _("unknown %(what)s: %(values)s") % {"what": label, "values": "; ".join(missing)})
    return set(found.values())


def _import_firm(v: dict) -> Outcome:
    __, outcome = _upsert(
        Firm,
        {"bin": v["bin"]},
        {"name": v["name"], "region": v["region"], "address": v["address"], "email": v["email"]},
    )
    return outcome


def _import_owner(v: dict) -> Outcome:
    firm_id = _firm_id(v["firm_bin"])
    person, person_outcome = _upsert(
        Person, {"person_id": v["person_id"]}, {"full_name": v["full_name"], "iin": v["iin"], "is_pep": v["is_pep"]}
    )
    __, outcome = _upsert(
        Ownership,
        {"firm_id": firm_id, "person": person, "role": v["role"]},
        {"share_percent": v["share_percent"]},
    )
    if outcome is Outcome.UNCHANGED and person_outcome is not Outcome.UNCHANGED:
        return Outcome.UPDATED
    return outcome


def _import_connection(v: dict) -> Outcome:
    key = {"meter_id": v.pop("meter_id")}
    v.pop("parent_meter_id")  # set by _link_parents once every meter of the file is in
    __, outcome = _upsert(GridConnection, key, v)
    return outcome


def _link_parents(rows: list[c.ParsedRow]) -> tuple[set[int], list[tuple[int, RowProblem]]]:
    """Give the file's meters their upstream meters, which may come later in the file; an empty cell means none.

    Return the lines whose parent changed, or the problems (nothing changed then).
    """
    line_of = {row.values["meter_id"]: row.line for row in rows}
    parents = {row.values["meter_id"]: row.values["parent_meter_id"] for row in rows}
    try:
        changed = connection_parents_set(parents=parents)
    except TopologyRejected as rejected:
        problems = rejected.problems.items()
        return set(), [(line_of.get(meter, 1), RowProblem("parent_meter_id", reason)) for meter, reason in problems]
    return {line_of[meter] for meter in changed}, []


def _upsert_firm_row_with_links(
    v: dict,
    *,
    model: type[models.Model],
    key: str,
    fields: tuple[str, ...],
    through: type[models.Model],
    owner: str,
    target: str,
    target_ids: set[int],
) -> Outcome:
    """Upsert a firm's row by its natural key, then link it to exactly `target_ids` through the join table.

    A row whose own fields are unchanged but whose links changed counts as updated.
    """
    values = {"firm_id": _firm_id(v["firm_bin"]), **{name: v[name] for name in fields}}
    obj, outcome = _upsert(model, {key: v[key]}, values)
    links_changed = _sync_links(through, {owner: obj}, target, target_ids)
    return Outcome.UPDATED if outcome is Outcome.UNCHANGED and links_changed else outcome


def _import_facility(v: dict) -> Outcome:
    return _upsert_firm_row_with_links(
        v,
        model=Facility,
        key="ref",
        fields=("name", "region", "address", "latitude", "longitude", "capacity_mw", "devices"),
        through=FacilityConnection,
        owner="facility",
        target="connection",
        target_ids=_ids_by(GridConnection, "meter_id", v["meter_ids"], "meter_ids", _("meter ids")),
    )


def _import_licence(v: dict) -> Outcome:
    if v["valid_from"] > v["valid_until"]:
        raise RowProblem("valid_until", _("is before valid_from"))
    return _upsert_firm_row_with_links(
        v,
        model=Licence,
        key="number",
        fields=("capacity_mw", "valid_from", "valid_until", "status", "subtype"),
        through=LicenceCoverage,
        owner="licence",
        target="facility",
        target_ids=_ids_by(Facility, "ref", v["facility_refs"], "facility_refs", _("facility refs")),
    )


def _import_declaration(v: dict) -> Outcome:
    facility = Facility.objects.filter(ref=v["facility_ref"]).first()
    if facility is None:
        raise RowProblem("facility_ref", _("unknown facility ref %(ref)s") % {"ref": v["facility_ref"]})
    existed = PowerDeclaration.objects.filter(facility=facility, month=v["month"], is_current=True).exists()
    __, changed = declaration_file(
        facility=facility,
        month=v["month"],
        consumed_mwh=v["consumed_mwh"],
        peak_mw=v["peak_mw"],
        devices=v["devices"],
        power_source=v["power_source"],
    )
    if not changed:
        return Outcome.UNCHANGED
    return Outcome.UPDATED if existed else Outcome.CREATED


# Constraint names the database may raise, as a column and a reason a person understands.
CONSTRAINT_MESSAGES: dict[str, tuple[str, Any]] = {
    "licence_coverage_no_overlap": (
        "facility_refs",
        gettext_lazy("another active or suspended licence covers this facility over overlapping dates"),
    ),
}


@dataclass(frozen=True)
class RegisterFile:
    name: str
    columns: list[c.Column]
    key: tuple[str, ...]  # the natural key: each value may appear once per file
    apply: Callable[[dict], Outcome]
    # A second step over the rows applied, once all of them are in: the lines it changed, or its problems.
    finish: Callable[[list[c.ParsedRow]], tuple[set[int], list[tuple[int, RowProblem]]]] | None = None


# Dependency order: each file refers only to the ones before it.
REGISTER_FILES = [
    RegisterFile("firms.csv", FIRM_COLUMNS, ("bin",), _import_firm),
    RegisterFile("owners.csv", OWNER_COLUMNS, ("firm_bin", "person_id", "role"), _import_owner),
    RegisterFile("grid_connections.csv", CONNECTION_COLUMNS, ("meter_id",), _import_connection, _link_parents),
    RegisterFile("facilities.csv", FACILITY_COLUMNS, ("ref",), _import_facility),
    RegisterFile("licences.csv", LICENCE_COLUMNS, ("number",), _import_licence),
    RegisterFile("declarations.csv", DECLARATION_COLUMNS, ("facility_ref", "month"), _import_declaration),
]


def register_import(*, directory: Path) -> RegisterImportReport:
    """Import the register files found in a directory, all or nothing.

    Raises ImportRejected with every error found (up to 100) and saves nothing
    if any row is bad.
    """
    present = [spec for spec in REGISTER_FILES if (directory / spec.name).is_file()]
    if not present:
        expected = ", ".join(spec.name for spec in REGISTER_FILES)
        raise ImportRejected(
            [
                c.RowError(
                    str(directory),
                    0,
                    "",
                    _("no register files found (expected any of %(files)s)") % {"files": expected},
                )
            ]
        )
    errors: list[c.RowError] = []
    reports = []
    with transaction.atomic():
        for spec in present:
            reports.append(_import_file(directory / spec.name, spec, errors))
            if len(errors) >= c.MAX_ERRORS:
                break
        if errors:
            raise ImportRejected(errors)
    return RegisterImportReport(reports)


def _import_file(path: Path, spec: RegisterFile, errors: list[c.RowError]) -> FileReport:
    report = FileReport(spec.name)
    first_line_of: dict[tuple, int] = {}
    applied: list[tuple[c.ParsedRow, Outcome]] = []
    with path.open("rb") as stream:
        source = c.CsvSource(spec.name, stream, spec.columns, errors)
        for row in source.rows():
            key = tuple(row.values[name] for name in spec.key)
            if key in first_line_of:
                source.error(
                    row.line,
                    spec.key[0],
                    _("the same %(key)s is already on line %(line)d; give each once per file")
                    % {"key": " + ".join(spec.key), "line": first_line_of[key]},
                )
                continue
            first_line_of[key] = row.line
            try:
                with transaction.atomic():
                    outcome = spec.apply(dict(row.values))
            except RowProblem as problem:
                source.error(row.line, problem.column, problem.reason)
                continue
            except IntegrityError as error:
                source.error(row.line, *_describe(error))
                continue
            report.counts[outcome] += 1
            if spec.finish is not None:
                applied.append((row, outcome))
        if spec.finish is not None and applied and not source.full:
            _finish(spec, applied, source, report)
    return report


def _finish(spec: RegisterFile, applied: list[tuple[c.ParsedRow, Outcome]], source: c.CsvSource, report: FileReport):
    """Run the file's second step; a row unchanged by the first step but changed by the second counts as updated."""
    changed_lines, problems = spec.finish([row for row, __ in applied])
    for line, problem in problems:
        source.error(line, problem.column, problem.reason)
    for row, outcome in applied:
        if outcome is Outcome.UNCHANGED and row.line in changed_lines:
            report.counts[Outcome.UNCHANGED] -= 1
            report.counts[Outcome.UPDATED] += 1


def _describe(error: IntegrityError) -> tuple[str, str]:
    diag = getattr(getattr(error, "__cause__", None), "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint in CONSTRAINT_MESSAGES:
        column, reason = CONSTRAINT_MESSAGES[constraint]
        return column, str(reason)
    message = getattr(diag, "message_primary", None) or str(error).splitlines()[0]
    return "", _("rejected by the database: %(message)s") % {"message": message}
