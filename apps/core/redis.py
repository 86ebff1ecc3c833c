"""One shared Redis client per process for the few things the Django cache API cannot express
(atomic get-and-delete for single-use tickets, presence sets)."""

from functools import lru_cache

import redis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff

# After a Redis restart every pooled connection is dead and the first use of each fails although Redis
# is back: retry a command twice, briefly, on a connection error (sync clients, async clients, channel layer).
_RETRIES = 2


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.5, base=0.05)


def reconnecting_retry() -> redis.retry.Retry:
    return redis.retry.Retry(_backoff(), _RETRIES)


def reconnecting_async_retry() -> AsyncRetry:
    return AsyncRetry(_backoff(), _RETRIES)


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5, retry=reconnecting_retry()
    )
