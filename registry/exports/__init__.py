"""Exportable datasets, by name (docs/rules.md, "Exports")."""

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

__all__ = ["DATASETS", "Dataset", "ExportError", "ExportFilters", "csv_stream"]
