import json
import logging

import pytest
from django.db import transaction

from apps.accounts.models import Player
from apps.core import health
from apps.core.db_router import PrimaryReplicaRouter, reset_pin
from apps.core.logs import JsonFormatter, RequestIdFilter
from apps.events.services import event_publish

pytestmark = pytest.mark.django_db


def test_health_is_503_naming_the_failing_part(api, monkeypatch):
    def redis_down() -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setitem(health.CHECKS, "redis", redis_down)
    response = api.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["checks"]["redis"] == "failing"
    assert body["checks"]["database"] == "ok"
    assert "redis is down" not in response.content.decode()  # no internals in the body


def test_metrics_expose_requests_and_the_outbox_backlog(api):
    api.get("/api/poolhouses/")
    event_publish("InvitationCleanup", {"player_ids": [1, 2]})
    body = api.get("/metrics").content.decode()
    assert 'strikem_http_requests_total{method="GET",status="200"}' in body
    assert "strikem_http_request_seconds_bucket" in body
    assert "strikem_outbox_backlog 1.0" in body
    assert "strikem_open_sockets" in body


def test_every_response_carries_a_request_id_and_keeps_the_one_nginx_sent(api):
    fresh = api.get("/health/")
    assert len(fresh["X-Request-ID"]) == 32
    kept = api.get("/health/", HTTP_X_REQUEST_ID="abc-123")
    assert kept["X-Request-ID"] == "abc-123"


def test_json_log_lines_carry_the_request_id(api, caplog):
    captured = []

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append(JsonFormatter().format(record))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        api.get("/api/poolhouses/424242/", HTTP_X_REQUEST_ID="req-42")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    entries = [json.loads(line) for line in captured]
    assert entries and entries[0]["request_id"] == "req-42" and entries[0]["level"] == "WARNING"


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_router_sends_plain_reads_to_the_replica_and_the_rest_to_the_primary(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    router = PrimaryReplicaRouter()
    reset_pin()
    assert router.db_for_read(Player) == "replica"
    with transaction.atomic():
        assert router.db_for_read(Player) == "default"  # locked reads of services stay on the primary
    assert router.db_for_write(Player) == "default"
    assert router.db_for_read(Player) == "default"  # after a write: read your own writes
    reset_pin()
    assert router.db_for_read(Player) == "replica"
    assert router.allow_migrate("replica", "accounts") is False


def test_without_a_replica_the_router_stays_out_of_the_way():
    assert PrimaryReplicaRouter().db_for_read(Player) is None
