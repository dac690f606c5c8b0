"""The public register's CSV downloads, through the project's streaming CSV writer (docs/rules.md, "Exports")."""

import datetime as dt

from registry.exports.base import Dataset, ExportColumn, joined
from registry.selectors import public


class LicensedRegisterExport(Dataset):
    """Licences in force, as listed on /register/ (same search)."""

    name = "public_licensed"
    columns = [
        ExportColumn("firm_name", "firm_name"),
        ExportColumn("bin", "firm_bin"),
        ExportColumn("licence_number", "number"),
        ExportColumn("subtype", "subtype"),
        ExportColumn("regions", "regions", joined),
        ExportColumn("capacity_mw", "capacity_mw"),
        ExportColumn("valid_from", "valid_from"),
        ExportColumn("valid_until", "valid_until"),
    ]
    order_by = ("firm__name", "number")

    def __init__(self, *, today: dt.date, q: str = "", region: str = ""):
        self.today, self.q, self.region = today, q, region

    def base_queryset(self):
        return public.licences_in_force(today=self.today, q=self.q, region=self.region)


class WarningListExport(Dataset):
    """The warning list, as on /register/warnings/ (same search), the latest action first."""

    name = "public_warnings"
    columns = [
        ExportColumn("operator_name", "name"),
        ExportColumn("operator_bin", "bin"),
        ExportColumn("regions", "regions", joined),
        ExportColumn("date", "last_date"),
        # In the order the actions escalate, not alphabetically as `joined` would.
        ExportColumn("actions", "actions", lambda codes: ";".join(codes or [])),
    ]
    order_by = public.WARNING_ORDER

    def __init__(self, *, q: str = "", region: str = ""):
        self.q, self.region = q, region

    def base_queryset(self):
        return public.warning_list(q=self.q, region=self.region)
