"""Hostile input from outside: each is a clear 4xx with the error envelope, never a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.reservations.models import Reservation
from tests.factories import HallStaffFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "path",
    ["/auth/jwt/create", "/auth/users/", "/api/invitations/", "/users/get-code-forget/"],
)
def test_deeply_nested_json_is_a_400_on_json_endpoints(api, client_for, player, path):
    client = client_for(player.user)
    response = client.generic("POST", path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "MALFORMED_REQUEST" and "nest" in body["detail"]


def test_reasonable_nesting_still_parses(client_for, player, table):
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    start = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    payload = {"start_time": start.isoformat(), "duration": 60, "other_player": {"id": None, "user": {"a": [[1]]}}}
    response = client_for(player.user).post(url, payload, format="json")
    assert response.status_code == 400 and response.json()["error"] in {"VALIDATION_ERROR", "INVALID_OPPONENT"}


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00", "9999-12-30T12:00:00+04:00", "2999-06-01T12:00:00Z"])
def test_a_booking_at_the_edge_of_the_calendar_is_refused(client_for, player, table, start):
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    response = client_for(player.user).post(url, {"start_time": start, "duration": 60}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"VALIDATION_ERROR", "BEYOND_BOOKING_HORIZON"}
    staff = HallStaffFactory(hall=table.hall).user
    walk_in = client_for(staff).post(
        f"/api/poolhouses/{table.hall_id}/reservations/",
        {"table_id": table.number, "duration": 60, "start_time": start},
        format="json",
    )
    assert walk_in.status_code == 400, walk_in.content
    assert walk_in.json()["error"] in {"VALIDATION_ERROR", "BEYOND_BOOKING_HORIZON"}
    assert not Reservation.objects.exists()


def test_bookings_are_taken_up_to_the_halls_horizon(client_for, player, table):
    table.hall.booking_horizon_days = 30
    table.hall.save()
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    inside = (timezone.now() + timedelta(days=29)).replace(microsecond=0)
    beyond = inside + timedelta(days=2)
    assert client_for(player.user).post(url, {"start_time": inside.isoformat(), "duration": 60}).status_code == 201
    refused = client_for(player.user).post(url, {"start_time": beyond.isoformat(), "duration": 60})
    assert refused.status_code == 400 and refused.json()["error"] == "BEYOND_BOOKING_HORIZON"
    assert "30 days" in refused.json()["detail"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_schedule_day_at_the_edge_of_the_calendar_is_refused(api, table, day):
    response = api.get(f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/", {"date": day})
    assert response.status_code == 400 and response.json()["error"] == "VALIDATION_ERROR"


@pytest.fixture
def tight_login(monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "5/min")


def _bad_logins(api, count, **meta):
    return [
        api.post("/auth/jwt/create", {"username": "nobody", "password": "wrong"}, format="json", **meta).status_code
        for _ in range(count)
    ]


def test_a_forged_forwarded_for_does_not_escape_the_login_throttle(api, tight_login, settings):
    settings.TRUSTED_PROXIES = []
    codes = [
        code
        for attempt in range(8)
        for code in _bad_logins(api, 1, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    ]
    assert codes == [401] * 5 + [429] * 3


def test_behind_a_trusted_proxy_the_client_is_the_first_untrusted_hop_from_the_right(api, tight_login, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client forges a left part; the load balancer (10.x) and nginx (127.0.0.1) add the real hops.
    forwarded = "203.0.113.{}, 198.51.100.7, 10.1.2.3"
    codes = [
        code
        for attempt in range(6)
        for code in _bad_logins(api, 1, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded.format(attempt))
    ]
    assert codes == [401] * 5 + [429]
    # Another real client behind the same proxies has its own allowance.
    other = _bad_logins(api, 1, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8, 10.1.2.3")
    assert other == [401]
