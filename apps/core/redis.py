"""One shared Redis client per process (and one async client per event loop) for the few things the
Django cache API cannot express (atomic get-and-delete for single-use tickets, presence sets)."""

import asyncio
import weakref
from functools import lru_cache

import redis
import redis.asyncio as aioredis
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


# Keyed by event loop (weakly): an async client belongs to the loop that made it.
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]" = weakref.WeakKeyDictionary()


def async_redis_client() -> aioredis.Redis:
    """The running event loop's client. A burst of thousands of sockets connecting at once must queue for
    connections, not fail: redis-py's plain async pool raises once 100 connections are in use."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=64,
            timeout=10,
            socket_timeout=5,
            socket_connect_timeout=5,
            retry=reconnecting_async_retry(),
        )
        client = aioredis.Redis(connection_pool=pool)
        _async_clients[loop] = client
    return client
