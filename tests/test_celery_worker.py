"""A real Celery worker consuming from the real Redis runs detection end to end."""

import os
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from config.celery import app
from registry.models import DetectionRun, Flag
from registry.services.detection import detection_run_create
from registry.tasks import run_detection
from tests.detection_world import a_hidden_farm

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
# A queue of this test session's own, so that another session's worker on the same Redis never takes its tasks.
QUEUE = f"minereg-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_worker():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[QUEUE]):
        yield
    app.conf.update(saved)


def _send(run_id: int) -> None:
    # A connection made now, from the Redis URL set above (the app may hold a pool made for another broker).
    with app.connection_for_write() as connection:
        run_detection.apply_async([run_id], queue=QUEUE, connection=connection)


def _wait_for(run_id: int, seconds: float = 30) -> DetectionRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = DetectionRun.objects.get(pk=run_id)
        if run.status in (DetectionRun.Status.SUCCEEDED, DetectionRun.Status.FAILED):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run.status} after {seconds} s")


def test_a_worker_consumes_the_detection_task_from_redis_and_flags_the_farm(redis_worker):
    as_of = a_hidden_farm(meter_id="RS-FARM-1")
    run = detection_run_create(as_of=as_of, window_days=30, trigger="test")

    _send(run.pk)
    finished = _wait_for(run.pk)

    assert finished.status == "succeeded"
    assert finished.counts["UNLICENSED_MINING"]["new"] == 1
    assert Flag.objects.filter(rule="UNLICENSED_MINING", subject_ref="RS-FARM-1").count() == 1


def test_the_same_task_delivered_twice_adds_no_twin_flag(redis_worker):
    as_of = a_hidden_farm(meter_id="RS-FARM-2")
    run = detection_run_create(as_of=as_of, window_days=30, trigger="test")

    _send(run.pk)
    _send(run.pk)
    _wait_for(run.pk)
    time.sleep(1)

    assert Flag.objects.filter(subject_ref="RS-FARM-2").count() == 1
