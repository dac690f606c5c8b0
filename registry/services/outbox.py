"""The task outbox: Celery tasks saved with the data that caused them, published when the broker can take them.

A request writes its rows and the task's outbox row in one transaction, and
tries to publish the task right after commit. If the broker cannot be reached
the request still succeeds: the row stays pending and `outbox_flush` (every
30 seconds from beat, and when a worker starts) publishes it later, in order.

Delivery is at least once: a task published but not yet marked sent (a crash
in between) is published again, so every task sent through the outbox must be
idempotent.
"""

import datetime as dt
import logging

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from registry.models import TaskOutbox

logger = logging.getLogger(__name__)

FLUSH_BATCH = 100
# Sent rows stay this long for the regulators' view in the admin, then the flush deletes them.
KEEP_SENT = dt.timedelta(days=30)


def task_enqueue(task: Task | str, *args, **kwargs) -> TaskOutbox:
    """Save a task to send in the caller's transaction; once it commits, try to publish it at once.

    Never raises for want of a broker: the row waits for the next flush.
    """
    row = TaskOutbox.objects.create(task=task if isinstance(task, str) else task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _flush(TaskOutbox.objects.filter(pk=row.pk)), robust=True)
    return row


def outbox_flush(*, batch_size: int = FLUSH_BATCH) -> dict[str, int]:
    """Publish the pending tasks, oldest first, until none is left or the broker cannot be reached.

    Rows another flusher holds are skipped (SELECT … FOR UPDATE SKIP LOCKED),
    so two flushers never publish the same row. Rows sent more than
    KEEP_SENT ago are deleted.
    """
    counts = _flush(TaskOutbox.objects.all(), batch_size=batch_size)
    counts["deleted"], _ = TaskOutbox.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return counts


def _flush(rows, *, batch_size: int = FLUSH_BATCH) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0}
    after = 0
    while True:
        with transaction.atomic():
            batch = list(
                rows.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, pk__gt=after)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return counts
            after = batch[-1].pk
            sent, failed, reachable = _publish(batch)
            TaskOutbox.objects.filter(pk__in=sent).update(sent_at=timezone.now())
        counts["sent"] += len(sent)
        counts["failed"] += failed
        if not reachable or len(batch) < batch_size:
            return counts


def _publish(batch: list[TaskOutbox]) -> tuple[list[int], int, bool]:
    """Publish the rows over one broker connection; return the ids sent, the failures, and whether the broker answered.

    Stops at the first broker error (the rest would only wait for the same
    timeout). A task that fails on its own (when tasks run in-process) is
    recorded on its row and the next row is tried.
    """
    app = current_app
    sent, failed = [], 0
    # One attempt, no reconnection loop: the caller may be a web request.
    with app.connection_for_write(transport_options={"max_retries": 0}) as connection:
        for row in batch:
            try:
                # A task run in-process rolls back alone if it fails, leaving this transaction usable.
                with transaction.atomic():
                    app.tasks[row.task].apply_async(
                        args=row.args, kwargs=row.kwargs, connection=connection, retry=False
                    )
            except BrokerUnreachable as error:
                _record_failure(row, error)
                logger.warning("Outbox: broker unreachable, %s #%d stays pending: %s", row.task, row.pk, error)
                return sent, failed + 1, False
            except Exception as error:  # noqa: BLE001 — one task's failure must not hold back the others
                _record_failure(row, error)
                logger.warning("Outbox: %s #%d failed and stays pending: %r", row.task, row.pk, error)
                failed += 1
            else:
                sent.append(row.pk)
    return sent, failed, True


def _record_failure(row: TaskOutbox, error: Exception) -> None:
    TaskOutbox.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
