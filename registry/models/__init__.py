from .audit import ExportLog
from .common import Region
from .declarations import PowerDeclaration
from .facilities import Facility, FacilityConnection
from .firms import Firm, FirmMembership, Ownership, Person
from .grid import GridConnection, MeterReading
from .licences import Licence, LicenceCoverage
from .oversight import EnforcementAction, Flag, Inspection

__all__ = [
    "EnforcementAction",
    "ExportLog",
    "Facility",
    "FacilityConnection",
    "Firm",
    "FirmMembership",
    "Flag",
    "GridConnection",
    "Inspection",
    "Licence",
    "LicenceCoverage",
    "MeterReading",
    "Ownership",
    "Person",
    "PowerDeclaration",
    "Region",
]
