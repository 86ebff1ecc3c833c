"""One shared Redis client per process (and one async client per event loop) for the few things the
Django cache API cannot express (atomic get-and-delete for single-use tickets, presence sets)."""

import asyncio
import os
import threading
import weakref

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


_local = threading.local()  # .client and .pid: this thread's client, and the process it was made in


def redis_client() -> redis.Redis:
    """This thread's client, which keeps one connection of its own: a command skips the pool (taking a
    connection from it, checking it has nothing unread, giving it back cost as much CPU as the round trip;
    bench/matchmaking_list.py). Pipelines still take theirs from the client's pool. A forked child (Gunicorn
    and Celery workers) makes its own; connections open on first use, never at import."""
    client: redis.Redis | None = getattr(_local, "client", None)
    if client is not None and _local.pid == os.getpid():
        return client
    options = {"socket_timeout": 5, "socket_connect_timeout": 5, "retry": reconnecting_retry()}
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, single_connection_client=True, **options)
    except redis.ConnectionError:
        # Such a client connects when made: while Redis is unreachable, a pooled one, whose commands raise
        # as any command would (callers handle RedisError); the next call tries again.
        return redis.Redis.from_url(settings.REDIS_URL, **options)
    _local.client, _local.pid = client, os.getpid()
    return client


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
