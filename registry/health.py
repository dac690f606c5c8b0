"""Probes for the orchestrator: /healthz says the process answers, /readyz that it can do its work."""

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request):
    """200 when the database answers with every migration applied and the broker answers; 503 naming what fails."""
    checks = {"database": _database(), "migrations": _migrations(), "broker": _broker()}
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 — any failure means not ready; the class name says which
        return f"error: {type(error).__name__}"
    return "ok"


def _migrations() -> str:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001
        return f"error: {type(error).__name__}"
    return "ok" if not pending else f"pending: {len(pending)}"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "ok"  # no broker configured: tasks run in-process
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as error:
        return f"error: {type(error).__name__}"
    return "ok"
