"""Celery tasks: thin wrappers that take ids or primitives and call one service each."""

import logging
from smtplib import SMTPException

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError, connection

from registry.models import DetectionRun, PowerDeclaration
from registry.services import declarations, detection, licences, outbox, partitions, reminders

logger = logging.getLogger(__name__)

# Transient database trouble (a restart, a dropped connection): try again, with backoff.
RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 5, "max_retries": 5, "acks_late": True}
# Email also waits out a mail server that is down or refuses for a while.
# About an hour and a half in all (5, 10, 20 … s, then every 10 minutes), within the broker's 900 s visibility.
MAIL_RETRY = {
    **RETRY,
    "autoretry_for": (OperationalError, InterfaceError, SMTPException, OSError),
    "max_retries": 15,
    "retry_backoff_max": 600,
}


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
def readings_monthly() -> dict:
    """Partitions for the months ahead; months past retention written to their archives and dropped."""
    return partitions.readings_monthly()


@shared_task(**RETRY)
def send_reminders() -> dict:
    """Declarations due (from the 10th) and licences expiring in 60 and 30 days."""
    return reminders.reminders_send()


@shared_task(**MAIL_RETRY)
def send_declaration_receipt(declaration_id: int, language: str = "") -> bool:
    """Email the firm that its declaration arrived (once per declaration, however often the task runs)."""
    declaration = PowerDeclaration.objects.select_related("facility__firm", "filed_by").get(pk=declaration_id)
    return declarations.declaration_receipt_send(declaration=declaration, language=language)


@shared_task(**RETRY)
def flush_outbox() -> dict:
    """Publish the tasks saved while the broker was unreachable (every 30 seconds, from beat)."""
    return outbox.outbox_flush()


@worker_ready.connect
def flush_outbox_on_worker_ready(sender=None, **kwargs) -> None:
    """A worker that starts (often: the broker is back) sends what waited, without waiting for beat."""
    try:
        counts = outbox.outbox_flush()
        if counts["sent"] or counts["failed"]:
            logger.info("Outbox flushed at worker start: %s", counts)
    except Exception:  # noqa: BLE001 — a worker must start even if the database is not there yet; beat retries
        logger.warning("Outbox flush at worker start failed; beat will retry", exc_info=True)
    finally:
        # This runs in the worker's main process: no connection stays open for pool processes forked later.
        connection.close()
