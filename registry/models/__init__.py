from .audit import ExportLog
from .common import Region
from .declarations import PowerDeclaration
from .detection import DetectionRun, DetectionSettings
from .facilities import Facility, FacilityConnection
from .firms import Firm, FirmMembership, Ownership, Person
from .grid import GridConnection, GridOperatorAccount, MeterReading, ReadingCorrection, ReadingImport
from .licences import Licence, LicenceCoverage, LicenceDocument
from .notifications import ReminderLog
from .outbox import TaskOutbox
from .oversight import EnforcementAction, Flag, Inspection

__all__ = [
    "DetectionRun",
    "DetectionSettings",
    "EnforcementAction",
    "ExportLog",
    "Facility",
    "FacilityConnection",
    "Firm",
    "FirmMembership",
    "Flag",
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
    "ReadingImport",
    "Region",
    "ReminderLog",
    "TaskOutbox",
]
