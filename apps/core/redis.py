"""One shared Redis client per process for the few things the Django cache API cannot express
(atomic get-and-delete for single-use tickets, presence sets)."""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
