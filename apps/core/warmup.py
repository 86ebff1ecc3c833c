"""What a Gunicorn worker does before it takes its first request (deploy/gunicorn.conf.py's
post_worker_init): open its database and Redis connections, compile the hot paths' queries
(apps/core/compiled.py) and start the push loop. Every view is imported already, with the application
(strikem/wsgi.py), in Gunicorn's master before it forks.

Without it each worker paid for all of that on its first request: 40-70 ms here, and about 200 ms while
the machine was busy, which a worker started by a deploy or recycled after GUNICORN_MAX_REQUESTS passed on
to a player (bench/push_latency.py's p99 was these first requests).
"""

import gc
import logging

from django.db import connection

from apps.core.compiled import compile_all
from apps.core.redis import redis_client
from apps.realtime.push import push_warm

logger = logging.getLogger(__name__)


def worker_warm() -> None:
    """Best effort: a part that fails is logged and left to the first request, as before."""
    steps = {
        "database": connection.ensure_connection,
        "compiled queries": compile_all,
        "redis": lambda: redis_client().ping(),
        "push loop": push_warm,
    }
    for name, step in steps.items():
        try:
            step()
        except Exception:
            logger.warning("worker warm-up: %s failed (the first request will do it)", name, exc_info=True)
    # Everything alive now (Django, the views, the compiled queries: hundreds of thousands of objects) lives
    # as long as the worker: out of the collector's way. A full collection walked it all in 220-290 ms,
    # several times a minute under load (the slowest invitations, bench/push_latency.py); it now walks only
    # what requests made since (2-18 ms).
    gc.freeze()
