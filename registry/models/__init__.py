"""The registry's data: one module per part of the domain (docs/rules.md names the rules these rows obey).

firms (firms, persons, owners, portal members), grid (connections, hourly readings, their imports and
corrections), facilities, licences (with coverage and documents), declarations, oversight (flags,
inspections, enforcement), detection (settings and runs), audit (export log), notifications, outbox.
"""

from .audit import ExportLog
from .common import Region
from .declarations import PowerDeclaration
from .detection import DetectionRun, DetectionSettings
from .facilities import Facility, FacilityConnection, FacilityNumbering
from .firms import Firm, FirmMembership, Ownership, Person
from .grid import (
    GridConnection,
    GridOperatorAccount,
    MeterReading,
    ReadingArchive,
    ReadingCorrection,
    ReadingImport,
)
from .licences import Licence, LicenceCoverage, LicenceDocument, licence_in_force, licence_in_force_sql
from .notifications import ReminderLog
from .outbox import TaskOutbox
from .oversight import EnforcementAction, Flag, FlagMeter, Inspection

__all__ = [
    "DetectionRun",
    "DetectionSettings",
    "EnforcementAction",
    "ExportLog",
    "Facility",
    "FacilityConnection",
    "FacilityNumbering",
    "Firm",
    "FirmMembership",
    "Flag",
    "FlagMeter",
    "GridConnection",
    "GridOperatorAccount",
    "Inspection",
    "Licence",
    "LicenceCoverage",
    "LicenceDocument",
    "MeterReading",
    "Ownership",
    "Person",
    "PowerDeclaration",
    "ReadingCorrection",
    "ReadingArchive",
    "ReadingImport",
    "Region",
    "ReminderLog",
    "TaskOutbox",
    "licence_in_force",
    "licence_in_force_sql",
]
