"""Gunicorn for the REST side: 2 x cores + 1 sync workers (the work is short, database-bound requests)."""

import multiprocessing
import os

workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The longest request line taken (path and query string), as nginx's default 8 KB header buffers: a longer
# one is refused with 414 before Django (documented in the schema, apps/core/schema.py).
limit_request_line = 8190
# The application is imported once, in the master, and each worker is a fork of it: a worker (re)starts
# without importing Django again, and the workers share the imported code's memory. Nothing opens a
# connection at import (the database, Redis and SNS connect on first use, in the worker); a deploy restarts
# the service (deploy/application_start.sh), so new code is always loaded afresh.
preload_app = True
# Recycle a worker after this many requests (bounds slow memory growth); not too often: at 2,000 the
# benchmarks saw workers restarting every few seconds under load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker: object) -> None:
    """Warm the worker before it takes requests (apps/core/warmup.py): its first request used to import
    the views and open every connection."""
    from apps.core.warmup import worker_warm

    worker_warm()
