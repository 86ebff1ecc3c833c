import time

from celery import shared_task

from apps.core.redis import redis_client


@shared_task(ignore_result=True)
def eta_probe(key: str, eta_timestamp: float) -> None:
    """A no-op ETA task that records how late it ran (seconds) in a Redis list.

    The baseline of the on-time benchmark: what Celery alone achieves, next to what session starts do.
    """
    redis_client().rpush(key, time.time() - eta_timestamp)
    redis_client().expire(key, 3600)
