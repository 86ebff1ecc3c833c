from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from apps.reservations.models import Reservation
from strikem.celery import app as celery_app
from tests.factories import HallStaffFactory, TableFactory
from tests.helpers import at

pytestmark = pytest.mark.django_db


def _staff_client(hall) -> Client:
    client = Client()
    client.force_login(HallStaffFactory(hall=hall).user)
    return client


def _walk_in(client, table, start, duration=60):
    start = start.astimezone(ZoneInfo(table.hall.time_zone))  # staff type their hall's own time
    return client.post(
        "/admin/reservations/reservation/add/",
        {
            "table": table.pk,
            "start_time_0": start.strftime("%Y-%m-%d"),
            "start_time_1": start.strftime("%H:%M:%S"),
            "duration": duration,
            "player_reserving": "",
            "other_player": "",
        },
    )


def test_staff_add_a_walk_in_from_the_admin_through_the_booking_rules(table):
    client = _staff_client(table.hall)
    # Two hours ahead: an hour ahead can be a local time that happens twice on the night the clocks go back.
    start = at(2)  # once: two calls of at() may fall either side of a minute
    assert _walk_in(client, table, start).status_code == 302
    walk_in = Reservation.objects.get()
    assert walk_in.player_reserving is None and walk_in.end_time == start + timedelta(hours=1)
    clash = _walk_in(client, table, start + timedelta(minutes=30))
    assert clash.status_code == 200
    assert "is booked" in " ".join(clash.context["adminform"].form.non_field_errors())
    assert Reservation.objects.count() == 1


def test_staff_cannot_add_a_walk_in_on_another_halls_table(table):
    foreign = TableFactory()
    response = _walk_in(_staff_client(table.hall), foreign, at(1))
    assert response.status_code == 200
    assert "table" in response.context["adminform"].form.errors
    assert not Reservation.objects.exists()


def test_the_periodic_sweeps_are_declared_in_code_and_name_real_tasks():
    celery_app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["sessions-sweep"]["schedule"] == 30.0
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks


def test_walk_in_starting_now_is_allowed_a_little_in_the_past(client_for, table):
    staff = HallStaffFactory(hall=table.hall).user
    start = (timezone.now() - timedelta(seconds=30)).isoformat()
    response = client_for(staff).post(
        f"/api/poolhouses/{table.hall_id}/reservations/",
        {"table_id": table.number, "duration": 30, "start_time": start},
        format="json",
    )
    assert response.status_code == 201
