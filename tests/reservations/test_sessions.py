import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from apps.notifications.models import Notification
from apps.reservations import services
from apps.reservations.models import GameSession, Reservation
from apps.reservations.tasks import schedule_if_due, sessions_sweep
from tests.factories import HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.processes import celery_worker


@pytest.mark.django_db
def test_sweep_starts_a_session_whose_task_was_lost_and_finishes_it(table, player, other_player):
    reservation = book_directly(table, player, other_player, start=timezone.now() - timedelta(minutes=2), seconds=300)
    report = sessions_sweep()
    assert report["started"] == 1
    session = GameSession.objects.get(reservation=reservation)
    assert session.started_at == reservation.start_time and session.ended_at is None
    types = set(Notification.objects.filter(extra=str(session.pk)).values_list("type", flat=True))
    assert types == {Notification.Type.SESSION_STARTED}
    assert sessions_sweep()["started"] == 0  # idempotent

    Reservation.objects.filter(pk=reservation.pk).update(end_time=timezone.now() - timedelta(seconds=1))
    assert sessions_sweep()["finished"] == 1
    session.refresh_from_db()
    assert session.ended_at is not None and session.cost is not None
    enter = Notification.objects.filter(type=Notification.Type.ENTER_RESULT, extra=str(session.pk))
    assert {n.recipient_id for n in enter} == {player.id, other_player.id}


@pytest.mark.django_db
def test_stale_tasks_are_harmless(table, player):
    cancelled = book_directly(table, player, start=timezone.now() - timedelta(seconds=5))
    cancelled.status = Reservation.Status.CANCELLED
    cancelled.save()
    assert services.session_start(reservation_id=cancelled.pk) is None
    moved = book_directly(TableFactory(hall=table.hall, number=5), player, start=timezone.now() + timedelta(hours=1))
    assert services.session_start(reservation_id=moved.pk) is None  # its old ETA fired, but it starts later now
    assert services.session_start(reservation_id=999999) is None
    assert not GameSession.objects.exists()


@pytest.mark.django_db
def test_a_finish_task_before_the_end_does_nothing(table, player):
    reservation = book_directly(table, player, start=timezone.now() - timedelta(minutes=1), seconds=3600)
    session = services.session_start(reservation_id=reservation.pk)
    assert services.session_finish(session_id=session.pk) is None
    session.refresh_from_db()
    assert session.ended_at is None


@pytest.mark.django_db
def test_cost_bills_started_blocks_of_the_halls_increment(table, player):
    table.hourly_rate = Decimal("12.00")
    table.save()
    reservation = book_directly(table, player, start=timezone.now() - timedelta(minutes=50), seconds=50 * 60)
    session = services.session_start(reservation_id=reservation.pk)
    Reservation.objects.filter(pk=reservation.pk).update(end_time=reservation.start_time + timedelta(minutes=50))
    finished = services.session_finish(session_id=session.pk)
    assert finished.minutes_played == 50
    # 50 minutes in 15-minute blocks is 60 billed minutes at 12/hour.
    assert finished.cost == Decimal("12.00")


@pytest.mark.django_db
def test_staff_end_a_session_early_over_rest_and_the_record_stays(client_for, table, player):
    reservation = book_directly(table, player, start=timezone.now() - timedelta(minutes=20), seconds=3600)
    session = services.session_start(reservation_id=reservation.pk)
    staff = HallStaffFactory(hall=table.hall).user
    url = f"/api/poolhouses/{table.hall_id}/game-sessions/{session.pk}/"
    assert client_for(player.user).delete(url).status_code == 403
    assert client_for(HallStaffFactory().user).delete(url).status_code == 403
    response = client_for(staff).delete(url)
    assert response.status_code == 200
    assert response.json()["status_finished"] is True
    session.refresh_from_db()
    assert session.ended_early and session.minutes_played in (20, 21)
    assert client_for(staff).delete(url).status_code == 409
    listed = client_for(staff).get(f"/api/poolhouses/{table.hall_id}/game-sessions/").json()
    assert [row["id"] for row in listed] == [session.pk]


@pytest.mark.django_db
def test_staff_end_a_session_from_the_admin_action(table, player):
    reservation = book_directly(table, player, start=timezone.now() - timedelta(minutes=5), seconds=3600)
    session = services.session_start(reservation_id=reservation.pk)
    other_hall_session = services.session_start(
        reservation_id=book_directly(TableFactory(), PlayerFactory(), start=timezone.now()).pk
    )
    staff = HallStaffFactory(hall=table.hall).user
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/reservations/gamesession/",
        {"action": "end_now", "_selected_action": [session.pk, other_hall_session.pk]},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    other_hall_session.refresh_from_db()
    assert session.ended_at is not None
    assert other_hall_session.ended_at is None  # outside the staff's queryset: untouched
    page = client.get("/admin/reservations/gamesession/")
    assert page.status_code == 200
    assert b"Revenue per table" in page.content


@pytest.mark.django_db
def test_game_session_detail_is_for_its_players_only(client_for, table, player, other_player):
    reservation = book_directly(table, player, other_player, start=timezone.now() - timedelta(minutes=1))
    session = services.session_start(reservation_id=reservation.pk)
    mine = client_for(player.user).get(f"/api/game-session/{session.pk}")
    assert mine.status_code == 200
    body = mine.json()
    assert {p["id"] for p in body["players"]} == {player.id, other_player.id}
    assert body["opponent_username"] == other_player.user.username
    assert body["status_finished"] is False and body["pooltable"] == table.id
    assert client_for(other_player.user).get(f"/api/game-session/{session.pk}/").json()["opponent_username"] == (
        player.user.username
    )
    stranger = client_for(PlayerFactory().user).get(f"/api/game-session/{session.pk}/")
    assert stranger.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_starts_and_finishes_a_session_on_time(table, player, other_player):
    with celery_worker():
        start = timezone.now() + timedelta(seconds=3)
        reservation = book_directly(table, player, other_player, start=start, seconds=4)
        schedule_if_due(reservation)  # what the booking does after commit
        deadline = time.monotonic() + 30
        session = None
        while time.monotonic() < deadline:
            session = GameSession.objects.filter(reservation=reservation).first()
            if session is not None and session.ended_at is not None:
                break
            time.sleep(0.2)
    assert session is not None, "the worker never started the session"
    assert session.ended_at is not None, "the worker never finished the session"
    # No beat runs here, so only the exact-time tasks can have done it; they never act early.
    # (How late they are is measured in bench/, not asserted here.)
    assert session.start_processed_at >= reservation.start_time - timedelta(seconds=1)
    assert session.end_processed_at >= reservation.end_time - timedelta(seconds=1)
    assert GameSession.objects.filter(reservation=reservation).count() == 1
