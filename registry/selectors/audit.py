"""Reading the audit trail."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.models import Events

# The audit trail's event labels, as people read them.
ACTION_LABELS = {
    "insert": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    actor: str
    changes: dict[str, tuple[Any, Any]]
    values: dict[str, Any]
    context: dict[str, Any]


def object_history(*, obj: models.Model, limit: int = 200) -> list[HistoryEntry]:
    """Return an object's recorded changes, newest first, with who made them and the values before and after."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return [
        HistoryEntry(
            at=event.pgh_created_at,
            action=str(ACTION_LABELS.get(event.pgh_label, event.pgh_label)),
            actor=_actor(event.pgh_context or {}, names),
            changes={field: (pair[0], pair[1]) for field, pair in (event.pgh_diff or {}).items()},
            values=event.pgh_data or {},
            context=event.pgh_context or {},
        )
        for event in events
    ]


def _actor(context: dict[str, Any], names: dict[int, str]) -> str:
    if context.get("user"):
        return names.get(int(context["user"]), _("user #%(id)s") % {"id": context["user"]})
    if context.get("command"):
        return f"manage.py {context['command']}"
    return "—"
