"""Exportable datasets, by name (docs/rules.md, "Exports")."""

from . import xlsx
from .audit import AuditExport
from .base import Dataset, ExportError, ExportFilters, csv_stream
from .connections import ConnectionsExport
from .declarations import DeclarationsExport
from .enforcement import EnforcementExport
from .facilities import FacilitiesExport
from .firms import FirmsExport
from .flags import FlagsExport
from .inspections import InspectionsExport
from .licences import LicencesExport
from .readings import ReadingsExport
from .xlsx import xlsx_check, xlsx_stream

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        FirmsExport(),
        FacilitiesExport(),
        LicencesExport(),
        DeclarationsExport(),
        ConnectionsExport(),
        ReadingsExport(),
        FlagsExport(),
        InspectionsExport(),
        EnforcementExport(),
        AuditExport(),
    )
}

# Each dataset comes as a CSV (the contract's) and as an XLSX beside it (xlsx.py).
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8", XLSX: xlsx.CONTENT_TYPE}

__all__ = [
    "CONTENT_TYPES",
    "CSV",
    "DATASETS",
    "FORMATS",
    "XLSX",
    "Dataset",
    "ExportError",
    "ExportFilters",
    "csv_stream",
    "xlsx_check",
    "xlsx_stream",
]
