"""Which registry rows an API caller may read (docs/rules.md, "Who sees what").

Every read endpoint starts from `readable()`: staff read a model when their
group grants its view permission; a firm user reads their own firm's rows of
the models a firm files (firm, facilities, licences, declarations) and nothing
else; a grid operator's account reads nothing.
"""

import enum

from django.contrib.auth import get_permission_codename
from django.db import models

from registry.models import Facility, Firm, Licence, PowerDeclaration

# The models a firm user may read, and the path from each to its firm.
FIRM_PATHS: dict[type[models.Model], str] = {
    Firm: "pk",
    Facility: "firm",
    Licence: "firm",
    PowerDeclaration: "facility__firm",
}


class Scope(enum.Enum):
    ALL = "all"
    FIRM = "firm"


def reader_scope(*, user, model: type[models.Model]) -> Scope | None:
    """Tell how much of a model the user may read: all of it, their firm's rows, or nothing (None)."""
    if not (user and user.is_authenticated) or hasattr(user, "grid_operator"):
        return None
    if user.is_staff:
        codename = get_permission_codename("view", model._meta)
        return Scope.ALL if user.has_perm(f"{model._meta.app_label}.{codename}") else None
    if model in FIRM_PATHS and getattr(user, "firm_membership", None) is not None:
        return Scope.FIRM
    return None


def readable(*, user, model: type[models.Model]) -> models.QuerySet:
    """Return the rows of a model the user may read (none when they may read none)."""
    scope = reader_scope(user=user, model=model)
    if scope is Scope.ALL:
        return model.objects.all()
    if scope is Scope.FIRM:
        return model.objects.filter(**{FIRM_PATHS[model]: user.firm_membership.firm_id})
    return model.objects.none()
