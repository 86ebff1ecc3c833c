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
from functools import cache
from types import SimpleNamespace

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.exceptions import DomainError

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


class ScopedThrottle(ScopedRateThrottle):
    def get_ident(self, request: Request) -> str:
        return client_address(request.META)

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except redis.RedisError:
            logger.warning("throttle %s not enforced: Redis unreachable", getattr(view, "throttle_scope", "?"))
            return True


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
