"""Which facilities owe a monthly declaration, and which of those declarations are missing.

One rule for the portal's overview, the reminders and detection's
MISSING_DECLARATION (docs/rules.md, "Declarations due"): a facility owes a
declaration for month M when, on the day it is judged (a registry-zone date),
a licence in force covers it and that licence's validity began on or before
the first day of M. The declaration is due by the end of the 15th of M+1 in
the registry's zone (`clock.declaration_deadline`).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef

from registry import clock
from registry.models import Facility, LicenceCoverage, PowerDeclaration, licence_in_force


def facilities_owing(*, month: dt.date, on: dt.date) -> models.QuerySet:
    """Facilities that owe a declaration for `month`, judged on the registry-zone date `on`."""
    covering = LicenceCoverage.objects.filter(
        licence_in_force(on, "licence__"), facility=OuterRef("pk"), licence__valid_from__lte=month
    )
    return Facility.objects.filter(Exists(covering))


def declarations_missing(*, months: list[dt.date], on: dt.date, firm=None) -> list[tuple[Facility, dt.date]]:
    """(facility, month) for each month in `months` a facility owes and has not declared, by month then ref."""
    missing = []
    for month in sorted(months):
        facilities = facilities_owing(month=month, on=on).exclude(
            Exists(PowerDeclaration.objects.filter(facility=OuterRef("pk"), month=month))
        )
        if firm is not None:
            facilities = facilities.filter(firm=firm)
        missing += [(facility, month) for facility in facilities.select_related("firm").order_by("ref")]
    return missing


@dataclass(frozen=True)
class FirmDeclarationsDue:
    """What a firm's overview shows: last month's declarations it owes and has not filed, and by when."""

    month: dt.date
    last_day: dt.date  # on time up to the end of this registry-zone day
    overdue: bool
    facilities: list[Facility]


def firm_declarations_due(*, firm, at: dt.datetime) -> FirmDeclarationsDue:
    """The declarations of the month before `at`'s registry-zone date that `firm` owes and has not filed."""
    today = clock.date_of(at)
    month = clock.declaration_month_due(today)
    return FirmDeclarationsDue(
        month=month,
        last_day=clock.declaration_last_day(month),
        overdue=at >= clock.declaration_deadline(month),
        facilities=[facility for facility, _ in declarations_missing(months=[month], on=today, firm=firm)],
    )
