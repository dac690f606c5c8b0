"""Choices and database expressions shared across the domain."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    ABAI = "abai", _("Abai Region")
    AKMOLA = "akmola", _("Akmola Region")
    AKTOBE = "aktobe", _("Aktobe Region")
    ALMATY_REGION = "almaty_region", _("Almaty Region")
    ATYRAU = "atyrau", _("Atyrau Region")
    EAST_KAZAKHSTAN = "east_kazakhstan", _("East Kazakhstan Region")
    JAMBYL = "jambyl", _("Jambyl Region")
    JETISU = "jetisu", _("Jetisu Region")
    KARAGANDA = "karaganda", _("Karaganda Region")
    KOSTANAY = "kostanay", _("Kostanay Region")
    KYZYLORDA = "kyzylorda", _("Kyzylorda Region")
    MANGYSTAU = "mangystau", _("Mangystau Region")
    NORTH_KAZAKHSTAN = "north_kazakhstan", _("North Kazakhstan Region")
    PAVLODAR = "pavlodar", _("Pavlodar Region")
    TURKISTAN = "turkistan", _("Turkistan Region")
    ULYTAU = "ulytau", _("Ulytau Region")
    WEST_KAZAKHSTAN = "west_kazakhstan", _("West Kazakhstan Region")
    ASTANA = "astana", _("Astana")
    ALMATY = "almaty", _("Almaty")
    SHYMKENT = "shymkent", _("Shymkent")


def twelve_digits(field: str) -> models.Q:
    """A CHECK condition: the field holds exactly 12 ASCII digits."""
    return models.Q(**{f"{field}__regex": r"^[0-9]{12}$"})


def non_negative(field: str, *, nullable: bool = False) -> models.Q:
    condition = models.Q(**{f"{field}__gte": 0})
    return condition | models.Q(**{f"{field}__isnull": True}) if nullable else condition


def audited(model=None, *, events: tuple[str, ...] = ()):
    """Record every insert, update and delete of the model in the audit trail (database triggers).

    `events` are labels the code records itself (`pghistory.create_event`): they need no trigger and no
    migration, only to be known to the model's tracker.
    """
    trackers = [pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()]
    track = pghistory.track(*trackers, *(pghistory.ManualEvent(label) for label in events))
    return track if model is None else track(model)
