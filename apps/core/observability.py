"""Request ids and Prometheus metrics (the log filters and formatter are in apps/core/logs.py).

Every request gets an id (the `X-Request-ID` nginx sets, or a new one), echoed in the response and put
on every log record of that request. Metrics live in prometheus-client; with PROMETHEUS_MULTIPROC_DIR
set (production: one directory per instance shared by Gunicorn workers, Daphne and the Celery worker)
`/metrics` adds up every process of the instance.
"""

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from celery.signals import task_failure, task_retry, task_success
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from apps.core.db_router import reset_pin, reset_pin_to
from apps.core.logs import request_id_var
from apps.events.services import outbox_backlog

HTTP_REQUESTS = Counter("strikem_http_requests_total", "HTTP requests answered.", ["method", "status"])
HTTP_LATENCY = Histogram(
    "strikem_http_request_seconds",
    "Time to answer an HTTP request.",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OPEN_SOCKETS = Gauge("strikem_open_sockets", "WebSockets open now.", multiprocess_mode="livesum")
CELERY_TASKS = Counter("strikem_celery_tasks_total", "Celery tasks by outcome.", ["task", "outcome"])


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # for log lines written after the chain
        token = request_id_var.set(request_id)
        pin = reset_pin()  # this request has not written yet: its reads may use the replica
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            reset_pin_to(pin)
        HTTP_LATENCY.labels(request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        response["X-Request-ID"] = request_id
        return response


class _OutboxBacklog:
    """Pending domain events, counted at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("strikem_outbox_backlog", "Domain events not yet published.", value=outbox_backlog())


def metrics(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scrape_time = CollectorRegistry()
    scrape_time.register(_OutboxBacklog())
    return HttpResponse(body + generate_latest(scrape_time), content_type=CONTENT_TYPE_LATEST)


def count_celery_outcomes() -> None:
    """Count task outcomes from Celery's signals (connected once, in the worker too)."""

    def outcome(name: str) -> Callable[..., None]:
        def record(sender: Any = None, **kwargs: Any) -> None:
            task_name = getattr(sender, "name", None) or getattr(kwargs.get("request"), "task", "unknown")
            CELERY_TASKS.labels(str(task_name), name).inc()

        return record

    task_success.connect(outcome("success"), weak=False)
    task_failure.connect(outcome("failure"), weak=False)
    task_retry.connect(outcome("retry"), weak=False)
