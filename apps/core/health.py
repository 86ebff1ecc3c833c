"""`/health/` for the load balancer: database, Redis, channel layer and migrations, no secrets."""

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from apps.core.redis import redis_client

logger = logging.getLogger(__name__)
_migrations_seen_applied = False


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _redis() -> bool:
    return bool(redis_client().ping())


def _channel_layer() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = f"health.{uuid.uuid4().hex}"
    message = {"type": "health.ping"}
    async_to_sync(layer.send)(channel, message)
    return bool(async_to_sync(layer.receive)(channel) == message)


def _migrations() -> bool:
    # Once applied they stay applied for this process; skip the plan computation afterwards.
    global _migrations_seen_applied
    if not _migrations_seen_applied:
        executor = MigrationExecutor(connection)
        _migrations_seen_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_seen_applied


CHECKS = {"database": _database, "redis": _redis, "channel_layer": _channel_layer, "migrations": _migrations}


def health(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = "ok" if check() else "failing"
        except Exception:
            logger.warning("health check %s failed", name, exc_info=True)
            results[name] = "failing"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": results}, status=200 if healthy else 503)


def liveness(request: HttpRequest) -> JsonResponse:
    """`/health/live`: the process answers HTTP; checks nothing else (the benchmarks' bare baseline too)."""
    return JsonResponse({"status": "alive"})
