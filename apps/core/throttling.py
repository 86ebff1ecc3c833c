"""Throttles count in the shared Redis cache; when Redis is down they let requests through.

Refusing every login while Redis restarts would turn a cache outage into a full outage; the window
without limits lasts as long as the outage and is logged.
"""

import logging

import redis
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ScopedThrottle(ScopedRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except redis.RedisError:
            logger.warning("throttle %s not enforced: Redis unreachable", getattr(view, "throttle_scope", "?"))
            return True
