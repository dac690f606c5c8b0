"""The task outbox: no request fails for want of a broker, no task is lost, none is sent twice by the flush.

Tests marked `redis` publish to the real Redis (REDIS_URL) on a queue of their own; the others either point
Celery at a closed port (the real publishing path, failing) or run tasks in-process as with no REDIS_URL.
"""

import datetime as dt
import os
import threading
import time
import uuid
from decimal import Decimal

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from registry.models import DetectionRun, Facility, PowerDeclaration, ReminderLog, TaskOutbox
from registry.services.outbox import outbox_flush, task_enqueue
from registry.tasks import flush_outbox_on_worker_ready, send_declaration_receipt
from tests.clients import english_client
from tests.factories import FirmUserFactory, PowerDeclarationFactory
from tests.portal.helpers import last_month

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
CLOSED_PORT = "redis://127.0.0.1:1/0"
# A queue of this test session's own, so that another session's worker on the same Redis never takes its tasks.
QUEUE = f"minereg-outbox-test-{uuid.uuid4().hex[:12]}"


def _point_celery_at(broker_url: str):
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_routes")}
    app.conf.update(broker_url=broker_url, task_always_eager=False, task_routes={"registry.tasks.*": {"queue": QUEUE}})
    return saved


@pytest.fixture
def broker_down():
    """Celery publishes for real, to a port where nothing listens."""
    saved = _point_celery_at(CLOSED_PORT)
    yield
    app.conf.update(saved)


@pytest.fixture
def real_redis():
    """Celery publishes to the real Redis, on this session's own queue (emptied afterwards)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    saved = _point_celery_at(REDIS_URL)
    yield client
    client.delete(QUEUE)
    app.conf.update(saved)


def _file(client, facility, consumed_mwh="900"):
    return client.post(
        reverse("portal:declaration-file"),
        {
            "facility": facility.pk,
            "month": f"{last_month():%Y-%m}",
            "consumed_mwh": consumed_mwh,
            "peak_mw": "4.5",
            "devices": "1200",
            "power_source": "grid_exchange",
        },
    )


@pytest.fixture
def fac_a1(firm_a, alice):
    firm_a.email = "office@alpha.test"
    firm_a.save()
    return Facility.objects.get(ref="FAC-A1")


# The broker is down: firms still file


def test_filing_with_the_broker_down_succeeds_at_once_and_leaves_the_receipt_pending(
    alice, fac_a1, broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = _file(english_client(alice), fac_a1)
    seconds = time.monotonic() - started

    assert response.status_code == 302
    declaration = PowerDeclaration.objects.get(facility=fac_a1, month=last_month())
    row = TaskOutbox.objects.get()
    assert (row.task, row.args, row.sent_at) == ("registry.tasks.send_declaration_receipt", [declaration.pk], None)
    assert row.attempts == 1
    assert "Connection refused" in row.last_error
    assert seconds < 2, "the request waited for the broker"


def test_a_flush_with_the_broker_still_down_keeps_every_row_pending(db, broker_down):
    for _ in range(3):
        task_enqueue("registry.tasks.expire_licences")

    counts = outbox_flush()

    assert counts == {"sent": 0, "failed": 1, "deleted": 0}  # it stops at the first refusal: the others would wait too
    rows = TaskOutbox.objects.order_by("pk").values_list("attempts", "sent_at")
    assert list(rows) == [(1, None), (0, None), (0, None)]


def test_a_regulators_run_now_is_queued_with_the_broker_down(
    client, regulator, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(regulator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:registry_detectionrun_run_now"), follow=True)

    run = DetectionRun.objects.get()
    assert response.status_code == 200
    assert f"Detection run #{run.pk} queued" in response.content.decode()
    assert run.status == "queued"
    assert TaskOutbox.objects.get(sent_at__isnull=True).args == [run.pk]


# The broker is back: the flush sends, a worker delivers


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_once_the_broker_is_back_a_flush_sends_the_receipt_and_a_worker_delivers_it(
    alice, fac_a1, broker_down, mailoutbox
):
    response = _file(english_client(alice), fac_a1)
    assert response.status_code == 302
    assert TaskOutbox.objects.get().sent_at is None

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    app.conf.update(broker_url=REDIS_URL)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[QUEUE]):
            counts = outbox_flush()
            declaration = PowerDeclaration.objects.get()
            deadline = time.monotonic() + 20
            while not ReminderLog.objects.filter(kind="declaration_receipt", key=str(declaration.pk)).exists():
                assert time.monotonic() < deadline, "the worker did not send the receipt"
                time.sleep(0.1)
    finally:
        client.delete(QUEUE)

    assert counts == {"sent": 1, "failed": 0, "deleted": 0}
    assert TaskOutbox.objects.get().sent_at is not None
    assert sorted(message.to[0] for message in mailoutbox) == ["alice@alpha.test", "office@alpha.test"]
    assert mailoutbox[0].subject == f"Declaration for FAC-A1, {last_month():%Y-%m} received"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_flushers_at_once_never_send_a_row_twice(real_redis):
    TaskOutbox.objects.bulk_create(TaskOutbox(task="registry.tasks.expire_licences") for _ in range(120))
    start = threading.Barrier(2)
    counts = []

    def flusher():
        try:
            start.wait()
            counts.append(outbox_flush(batch_size=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=flusher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert real_redis.llen(QUEUE) == 120
    assert sum(c["sent"] for c in counts) == 120
    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()


# Tasks in-process (no REDIS_URL): the outbox runs them at once


def test_with_tasks_in_process_the_receipt_is_sent_at_once_and_the_row_marked_sent(
    alice, fac_a1, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _file(english_client(alice), fac_a1, consumed_mwh="912.5")

    row = TaskOutbox.objects.get()
    assert row.sent_at is not None
    assert [message.to for message in mailoutbox] == [["alice@alpha.test"], ["office@alpha.test"]]
    body = mailoutbox[0].body
    assert f"power declaration Alpha Mining LLP filed for facility FAC-A1 (Alpha site 1), {last_month():%Y-%m}" in body
    assert "Energy consumed, MWh: 912.500" in body
    assert "Peak load, MW: 4.500" in body
    assert "Devices operating: 1200" in body
    assert "Power source: Grid (energy exchange)" in body


def test_a_task_that_fails_in_process_stays_pending_and_does_not_hold_back_the_next(db):
    broken = task_enqueue("registry.tasks.no_such_task")
    good = task_enqueue("registry.tasks.expire_licences")

    counts = outbox_flush()

    broken.refresh_from_db()
    good.refresh_from_db()
    assert counts == {"sent": 1, "failed": 1, "deleted": 0}
    assert (broken.sent_at, broken.attempts) == (None, 1)
    assert "no_such_task" in broken.last_error
    assert good.sent_at is not None


def test_a_flush_deletes_rows_sent_more_than_30_days_ago(db):
    now = timezone.now()
    old, recent = TaskOutbox.objects.bulk_create(
        [
            TaskOutbox(task="registry.tasks.expire_licences", sent_at=now - dt.timedelta(days=31)),
            TaskOutbox(task="registry.tasks.expire_licences", sent_at=now - dt.timedelta(days=29)),
        ]
    )
    pending = TaskOutbox.objects.create(task="registry.tasks.no_such_task")

    outbox_flush()

    assert set(TaskOutbox.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_becomes_ready_flushes_the_outbox():
    row = TaskOutbox.objects.create(task="registry.tasks.expire_licences")

    # The signal comes in the worker's main process, with a database connection of its own.
    ready = threading.Thread(target=flush_outbox_on_worker_ready)
    ready.start()
    ready.join()

    row.refresh_from_db()
    assert row.sent_at is not None


def test_a_correction_sends_a_receipt_that_says_so(alice, fac_a1, mailoutbox, django_capture_on_commit_callbacks):
    client = english_client(alice)
    _file(client, fac_a1)
    current = PowerDeclaration.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal:declaration-correct", args=[current.pk]),
            {"consumed_mwh": "950", "peak_mw": "4.5", "devices": "1200", "power_source": "grid_exchange"},
        )

    assert mailoutbox[0].subject == f"Correction of the declaration for FAC-A1, {last_month():%Y-%m} received"
    assert "Energy consumed, MWh: 950.000" in mailoutbox[0].body


def test_filing_the_same_values_again_sends_no_second_receipt(alice, fac_a1, django_capture_on_commit_callbacks):
    client = english_client(alice)
    _file(client, fac_a1)
    current = PowerDeclaration.objects.get()

    client.post(
        reverse("portal:declaration-correct", args=[current.pk]),
        {"consumed_mwh": "900", "peak_mw": "4.5", "devices": "1200", "power_source": "grid_exchange"},
    )

    assert TaskOutbox.objects.count() == 1


def test_the_receipt_is_written_in_the_language_the_declaration_was_filed_in(alice, fac_a1):
    from django.test import Client

    client = Client(headers={"accept-language": "kk"})
    client.force_login(alice)

    _file(client, fac_a1)

    assert TaskOutbox.objects.get().kwargs == {"language": "kk"}


# At least once: the receipt goes out once however often its task runs


def test_the_receipt_is_sent_once_even_if_its_task_runs_twice(alice, fac_a1, mailoutbox):
    declaration = PowerDeclarationFactory(
        facility=fac_a1, month=last_month(), consumed_mwh=Decimal("900"), filed_by=alice
    )

    first = send_declaration_receipt.apply(args=[declaration.pk]).get()
    second = send_declaration_receipt.apply(args=[declaration.pk]).get()

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 2  # alice and the firm's address, once each


def test_the_receipt_goes_to_active_users_with_an_email_once_each(alice, fac_a1, mailoutbox):
    FirmUserFactory(username="gone", email="gone@alpha.test", is_active=False, firm=fac_a1.firm)
    FirmUserFactory(username="office", email="OFFICE@alpha.test", firm=fac_a1.firm)
    declaration = PowerDeclarationFactory(facility=fac_a1, month=last_month(), consumed_mwh=Decimal("900"))

    send_declaration_receipt.apply(args=[declaration.pk]).get()

    assert sorted(message.to[0].lower() for message in mailoutbox) == ["alice@alpha.test", "office@alpha.test"]


# What the regulator sees


def test_the_admin_lists_a_pending_task_with_its_error(
    client, regulator, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task_enqueue("registry.tasks.expire_licences")
    client.force_login(regulator)

    response = client.get(reverse("admin:registry_taskoutbox_changelist") + "?state=pending")

    page = response.content.decode()
    assert response.status_code == 200
    assert "registry.tasks.expire_licences" in page
    assert "Connection refused" in page
