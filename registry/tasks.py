"""Celery tasks: thin wrappers that take ids or primitives and call one service each."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from registry.models import DetectionRun
from registry.services import detection, licences, reminders

# Transient database trouble (a restart, a dropped connection): try again, with backoff.
RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 5, "max_retries": 5, "acks_late": True}


@shared_task(**RETRY)
def run_detection(run_id: int) -> dict:
    """Execute a recorded detection run (idempotent: a succeeded run is not repeated)."""
    run = detection.detection_run(run=DetectionRun.objects.get(pk=run_id))
    return {"run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(**RETRY)
def run_scheduled_detection() -> dict:
    """The daily run: now, with the window from the settings."""
    run = detection.detection_run_create(trigger="schedule")
    return run_detection(run.pk)


@shared_task(**RETRY)
def expire_licences() -> dict:
    """Suspensions that ended are lifted; licences past their last valid day become expired."""
    return {"reinstated": licences.licences_reinstate_due(), "expired": licences.licences_expire()}


@shared_task(**RETRY)
def send_reminders() -> dict:
    """Declarations due (from the 10th) and licences expiring in 60 and 30 days."""
    return reminders.reminders_send()
