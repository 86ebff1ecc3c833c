"""Throttles count in the shared Redis cache, per user or per client address; when Redis is down they let
requests through.

Refusing every login while Redis restarts would turn a cache outage into a full outage; the window
without limits lasts as long as the outage and is logged.

The client's address is the connection's, unless the connection comes from a proxy the deployment names
in TRUSTED_PROXIES (nginx, the load balancer): then X-Forwarded-For is read from the right, skipping
trusted proxies, and the first address that is not one is the client. Anything a client writes into the
header itself stands further left and is never reached, so a forged header changes nothing.
"""

import ipaddress
import logging
import math
import uuid
from functools import cache
from types import SimpleNamespace
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.exceptions import DomainError
from apps.core.redis import redis_client

logger = logging.getLogger(__name__)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted(tuple(settings.TRUSTED_PROXIES)))


def client_address(meta: dict[str, str]) -> str:
    """The client's address from a request's META (see the module docstring)."""
    address = meta.get("REMOTE_ADDR", "")
    forwarded = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while forwarded and _is_trusted(address):
        address = forwarded.pop()
    return address


# DRF's sliding window (the requests of the last `duration` seconds, each remembered), kept in one sorted
# set per key and decided in one atomic step: DRF reads the history, then writes it back, so two requests
# at once could both be let through on the last place, and it took two round trips. KEYS[1]: the key;
# ARGV: now, duration, the number allowed, a member unique to this request. Answers: allowed (1 or 0), how
# many are in the window (this one included when allowed), and the oldest one's time.
_SLIDING_WINDOW = """
local key, now, duration, allowed = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
local count = redis.call('ZCARD', key)
if count >= allowed then
  return {0, count, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(duration * 1000))
return {1, count + 1, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]}
"""
_sliding_window: Any = None


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counted in one atomic Redis call (see _SLIDING_WINDOW) on the shared client."""

    def get_ident(self, request: Request) -> str:
        return client_address(request.META)

    def allow_request(self, request: Request, view: APIView) -> bool:
        global _sliding_window
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.rate is None or self.key is None:
            return True
        self.now = self.timer()
        try:
            if _sliding_window is None:
                _sliding_window = redis_client().register_script(_SLIDING_WINDOW)
            allowed, count, oldest = _sliding_window(
                keys=[self.key], args=[repr(self.now), self.duration, self.num_requests, uuid.uuid4().hex]
            )
        except redis.RedisError:
            logger.warning("throttle %s not enforced: Redis unreachable", self.scope)
            return True
        # What DRF's wait() reads of the history: how many requests are in the window, the oldest last.
        self.history = [float(oldest)] * int(count)
        return bool(allowed)


class ScopeThrottled(DomainError):
    """A socket frame over the rate its REST twin allows (the same budget, counted together)."""

    code = "THROTTLED"
    status_code = 429
    default_detail = "Too many of these; wait a little."


def throttle_user(*, scope: str, user_id: int) -> None:
    """Count one use of `scope` by this user against the same budget the REST throttle keeps (a socket
    action that has a REST twin: sending an invitation or a friend request), or refuse it (THROTTLED)."""
    throttle = ScopedThrottle()
    asking = SimpleNamespace(user=SimpleNamespace(pk=user_id, is_authenticated=True), META={})
    if not throttle.allow_request(asking, SimpleNamespace(throttle_scope=scope)):  # type: ignore[arg-type]
        wait = throttle.wait()
        raise ScopeThrottled(f"Too many of these; try again in {math.ceil(wait or 1)} seconds.")
