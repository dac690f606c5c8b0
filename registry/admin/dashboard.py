"""The staff dashboard at /admin/dashboard/: the selectors' figures as tables, and as charts for the browser."""

import datetime as dt

from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from registry import clock
from registry.models import EnforcementAction, Flag, Region
from registry.selectors import dashboard as figures
from registry.selectors.legal_status import LegalStatus

# The dashboard shows aggregates of these; every staff role (regulators, inspectors, auditors) may view them.
REQUIRED_PERMISSIONS = [
    "registry.view_facility",
    "registry.view_gridconnection",
    "registry.view_licence",
    "registry.view_enforcementaction",
    "registry.view_flag",
]
WINDOW_DAYS = 30
WEEKS = 12


CACHE_SECONDS = 300


def _figures(as_of: dt.datetime) -> tuple:
    """The dashboard's figures for an hour, computed at most every few minutes (they read ~1M readings)."""
    key = f"minereg:dashboard:{as_of.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        today = clock.date_of(as_of)
        cached = (
            figures.facility_status_by_region(today=today),
            figures.connection_status_by_region(today=today),
            figures.enforcement_summary(today=today),
            figures.capacity_vs_suspected_load(as_of=as_of, days=WINDOW_DAYS),
            figures.power_released(today=today, days=WINDOW_DAYS),
            figures.flags_per_week(as_of=as_of, weeks=WEEKS),
        )
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def dashboard(request):
    """Show the registry's figures as of the current hour."""
    if not request.user.has_perms(REQUIRED_PERMISSIONS):
        raise PermissionDenied
    as_of = clock.hour_floor(clock.now())
    facilities, connections, enforcement, capacity, released, weeks = _figures(as_of)
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "as_of": as_of,
        "window_days": WINDOW_DAYS,
        "weeks_shown": WEEKS,
        "status_labels": [_status_label(status) for status in figures.STATUS_COLUMNS],
        "severity_labels": [Flag.Severity(severity).label for severity in figures.SEVERITIES],
        "status_tables": [
            _labelled(
                facilities,
                heading=_("Facilities"),
                chart="facility-status",
                caption=_("Facilities per region and legal status"),
            ),
            _labelled(
                connections,
                heading=_("Grid connections"),
                chart="connection-status",
                caption=_("Grid connections per region and legal status"),
            ),
        ],
        "enforcement": enforcement,
        "enforcement_regions": [(Region(row.region).label, row) for row in enforcement.regions],
        "capacity": [(Region(row.region).label, row) for row in capacity],
        "capacity_totals": _capacity_totals(capacity),
        "released": released,
        "released_regions": [(Region(row.region).label, row) for row in released.regions],
        "weeks": weeks,
        "flag_totals": [sum(week.counts[i] for week in weeks) for i in range(len(figures.SEVERITIES))],
        "weeks_total": sum(week.total for week in weeks),
        "chart_data": _charts(facilities, connections, enforcement, capacity, released, weeks),
    }
    return TemplateResponse(request, "admin/registry/dashboard.html", context)


dashboard_view = admin.site.admin_view(dashboard)


def _status_label(status: str) -> str:
    return LegalStatus(status).label if status else _("No status")


def _labelled(table: figures.StatusTable, **presentation) -> dict:
    return {
        "rows": [(Region(row.region).label, row) for row in table.rows],
        "totals": table.totals,
        "total": table.total,
        **presentation,
    }


def _capacity_totals(rows: list[figures.RegionCapacity]) -> dict:
    return {
        "licensed_mw": sum(row.licensed_mw for row in rows),
        "suspected_sites": sum(row.suspected_sites for row in rows),
        "suspected_load_mw": sum(row.suspected_load_mw for row in rows),
    }


def _charts(facilities, connections, enforcement, capacity, released, weeks) -> dict:
    """The figures again, as plain numbers and translated labels for dashboard.js to draw."""
    Action = EnforcementAction.Action
    return {
        "locale": get_language() or "en",
        "charts": {
            "facility-status": _status_chart(facilities, _("Facilities")),
            "connection-status": _status_chart(connections, _("Grid connections")),
            "enforcement": {
                "stacked": True,
                "unit": str(_("Operations stopped")),
                "labels": [str(Region(row.region).label) for row in enforcement.regions],
                "datasets": [
                    _dataset(
                        Action.VOLUNTARY_CLOSURE,
                        Action.VOLUNTARY_CLOSURE.label,
                        [row.voluntary_closures for row in enforcement.regions],
                    ),
                    _dataset(
                        Action.OPERATION_CANCELLED,
                        Action.OPERATION_CANCELLED.label,
                        [row.operations_cancelled for row in enforcement.regions],
                    ),
                ],
            },
            "capacity": {
                "stacked": False,
                "unit": str(_("MW")),
                "labels": [str(Region(row.region).label) for row in capacity],
                "datasets": [
                    _dataset(
                        "licensed_mw", _("Licensed capacity in force"), [float(row.licensed_mw) for row in capacity]
                    ),
                    _dataset(
                        "suspected_load_mw",
                        _("Load of suspected-illegal sites"),
                        [float(row.suspected_load_mw) for row in capacity],
                    ),
                ],
            },
            "released": {
                "stacked": True,
                "unit": str(_("MW")),
                "labels": [str(Region(row.region).label) for row in released.regions],
                "datasets": [
                    _dataset(
                        Action.VOLUNTARY_CLOSURE,
                        Action.VOLUNTARY_CLOSURE.label,
                        [float(row.voluntary_closure_mw) for row in released.regions],
                    ),
                    _dataset(
                        Action.OPERATION_CANCELLED,
                        Action.OPERATION_CANCELLED.label,
                        [float(row.operation_cancelled_mw) for row in released.regions],
                    ),
                ],
            },
            "flags": {
                "stacked": True,
                "unit": str(_("New flags")),
                "labels": [date_format(week.week, "SHORT_DATE_FORMAT") for week in weeks],
                "datasets": [
                    _dataset(severity, Flag.Severity(severity).label, [week.counts[i] for week in weeks])
                    for i, severity in enumerate(figures.SEVERITIES)
                ],
            },
        },
    }


def _status_chart(table: figures.StatusTable, unit) -> dict:
    """Regions stacked by status; sites with no status (ordinary consumers, mostly) are left to the table."""
    return {
        "stacked": True,
        "unit": str(unit),
        "labels": [str(Region(row.region).label) for row in table.rows],
        "datasets": [
            _dataset(status, _status_label(status), [row.counts[i] for row in table.rows])
            for i, status in enumerate(figures.STATUS_COLUMNS)
            if status and table.totals[i]
        ],
    }


def _dataset(key: str, label, data: list) -> dict:
    return {"key": str(key), "label": str(label), "data": data}
