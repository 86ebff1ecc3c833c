from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.reservations.models import GameSession, Reservation
from tests.factories import ROUND_THE_CLOCK_ZONE, HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import at, book_directly

pytestmark = pytest.mark.django_db


def _reserve(client, table, start, duration=60, **extra):
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    return client.post(url, {"start_time": start.isoformat(), "duration": duration, **extra}, format="json")


def test_booking_a_free_slot_returns_the_reservation(client_for, player, other_player, table):
    start = at(2)  # once: two calls of at() may fall either side of a minute
    response = _reserve(client_for(player.user), table, start, other_player=other_player.id)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duration"] == 60 and body["finished_reservation"] is False
    assert body["player_reserving"]["id"] == player.id
    assert body["other_player_details"]["id"] == other_player.id
    assert Reservation.objects.get(pk=body["id"]).end_time == start + timedelta(hours=1)


def test_opponent_may_be_sent_as_a_whole_simple_player_object(client_for, player, other_player, table):
    opponent = {"id": other_player.id, "total_points": 1500, "user": {"username": other_player.user.username}}
    response = _reserve(client_for(player.user), table, at(2), other_player=opponent)
    assert response.status_code == 201
    assert response.json()["other_player_details"]["id"] == other_player.id


@pytest.mark.parametrize("opponent", ["abc", 0, {"name": "x"}, 999999])
def test_bad_opponent_reference_is_refused(client_for, player, table, opponent):
    response = _reserve(client_for(player.user), table, at(2), other_player=opponent)
    assert response.status_code == 400
    assert response.json()["error"] in {"VALIDATION_ERROR", "INVALID_OPPONENT"}
    assert not Reservation.objects.exists()


def test_cannot_book_against_yourself(client_for, player, table):
    response = _reserve(client_for(player.user), table, at(2), other_player=player.id)
    assert response.json()["error"] == "INVALID_OPPONENT"


def test_start_in_the_past_is_refused(client_for, player, table):
    response = _reserve(client_for(player.user), table, at(-1))
    assert response.status_code == 400
    assert response.json()["error"] == "START_IN_PAST"


@pytest.mark.parametrize("duration", [5, 250, 50])
def test_duration_outside_bounds_or_step_is_refused(client_for, player, table, duration):
    response = _reserve(client_for(player.user), table, at(2), duration=duration)
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_DURATION"


def test_out_of_service_table_is_refused(client_for, player, table):
    table.out_of_service = True
    table.save()
    response = _reserve(client_for(player.user), table, at(2))
    assert response.status_code == 409
    assert response.json()["error"] == "TABLE_OUT_OF_SERVICE"


def _next_local(zone: str, hour: int, minute: int = 0) -> datetime:
    tz = ZoneInfo(zone)
    now = timezone.now().astimezone(tz)
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now + timedelta(minutes=5) else candidate + timedelta(days=1)


def test_opening_hours_are_enforced_in_the_halls_time_zone_across_midnight(client_for, player):
    hall = HallFactory(open_time=time(18), close_time=time(2), time_zone="Asia/Tbilisi")
    table = TableFactory(hall=hall)
    client = client_for(player.user)
    late = _next_local("Asia/Tbilisi", 0, 30)  # after midnight, inside yesterday's opening
    assert _reserve(client, table, late, duration=60).status_code == 201
    too_late = _next_local("Asia/Tbilisi", 1, 30)  # 01:30-02:30 runs past closing
    response = _reserve(client, table, too_late, duration=60)
    assert response.status_code == 400
    assert response.json()["error"] == "OUTSIDE_OPENING_HOURS"
    morning = _next_local("Asia/Tbilisi", 10)
    assert _reserve(client, table, morning, duration=60).json()["error"] == "OUTSIDE_OPENING_HOURS"


def test_time_without_offset_is_read_in_the_halls_zone(client_for, player):
    hall = HallFactory(open_time=time(18), close_time=time(23), time_zone="Asia/Tbilisi")
    table = TableFactory(hall=hall)
    local = _next_local("Asia/Tbilisi", 19)
    naive = local.replace(tzinfo=None).isoformat()
    url = f"/api/poolhouses/{hall.id}/tables/{table.id}/reserve/"
    response = client_for(player.user).post(url, {"start_time": naive, "duration": 60}, format="json")
    assert response.status_code == 201, response.json()
    assert Reservation.objects.get().start_time == local


def test_overlap_is_exact_and_includes_the_cleaning_buffer(client_for, table):
    first, second = PlayerFactory(), PlayerFactory()
    now = at(0)  # one reading of the clock: the slots below must not move when a minute turns meanwhile

    def hours(count: float) -> datetime:
        return now + timedelta(hours=count)

    assert _reserve(client_for(first.user), table, hours(2), duration=60).status_code == 201
    client = client_for(second.user)
    overlapping = _reserve(client, table, hours(2.5), duration=60)
    assert overlapping.status_code == 409
    assert overlapping.json()["error"] == "TABLE_ALREADY_BOOKED"
    back_to_back = _reserve(client, table, hours(3), duration=60)  # inside the 5-minute buffer
    assert back_to_back.json()["error"] == "TABLE_ALREADY_BOOKED"
    before = _reserve(client, table, hours(1), duration=60)  # ends exactly when the first starts
    assert before.json()["error"] == "TABLE_ALREADY_BOOKED"
    after_buffer = _reserve(client, table, hours(3) + timedelta(minutes=5), duration=60)
    assert after_buffer.status_code == 201
    earlier = _reserve(client_for(PlayerFactory().user), table, hours(1) - timedelta(minutes=5), duration=60)
    assert earlier.status_code == 201
    # No "±3 hours" window: a booking four hours later on the same table is fine.
    assert _reserve(client_for(PlayerFactory().user), table, hours(6), duration=60).status_code == 201


def test_another_table_in_the_same_slot_is_fine(client_for, table):
    other_table = TableFactory(hall=table.hall, number=2)
    assert _reserve(client_for(PlayerFactory().user), table, at(2)).status_code == 201
    assert _reserve(client_for(PlayerFactory().user), other_table, at(2)).status_code == 201


def test_cancelled_bookings_do_not_block(client_for, table):
    booked = book_directly(table, PlayerFactory(), start=at(2))
    booked.status = Reservation.Status.CANCELLED
    booked.save()
    assert _reserve(client_for(PlayerFactory().user), table, at(2)).status_code == 201


def test_booker_or_opponent_busy_elsewhere_is_refused(client_for, player, other_player, table):
    elsewhere = TableFactory(hall=table.hall, number=7)
    book_directly(elsewhere, PlayerFactory(), other_player, start=at(2))
    response = _reserve(client_for(player.user), table, at(2.5), other_player=other_player.id)
    assert response.status_code == 409
    assert response.json()["error"] == "PLAYER_ALREADY_BOOKED"
    assert other_player.user.username in response.json()["detail"]
    book_directly(elsewhere, player, start=at(5))
    mine = _reserve(client_for(player.user), table, at(5))
    assert mine.json()["error"] == "PLAYER_ALREADY_BOOKED"


def test_day_schedule_is_public_and_shows_no_identities(api, client_for, player, table):
    _reserve(client_for(player.user), table, at(2))
    day = at(2).astimezone(ZoneInfo(table.hall.time_zone)).date().isoformat()  # a day in the hall's zone
    response = api.get(f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/", {"date": day})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 1 and set(slots[0]) == {"start_time", "duration", "end_time"}
    assert api.get(f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/", {"date": "x"}).status_code == 400


def test_table_of_another_hall_is_404(client_for, player, table):
    stranger = TableFactory(hall=HallFactory(open_time=time(0), close_time=time(0), time_zone=ROUND_THE_CLOCK_ZONE))
    response = _reserve(client_for(player.user), stranger, at(2))
    assert response.status_code == 201  # its own hall works
    wrong = client_for(player.user).post(
        f"/api/poolhouses/{table.hall_id}/tables/{stranger.id}/reserve/",
        {"start_time": at(4).isoformat(), "duration": 60},
        format="json",
    )
    assert wrong.status_code == 404
    assert wrong.json()["error"] == "TABLE_NOT_FOUND"


def test_anonymous_cannot_book(api, table):
    assert _reserve(api, table, at(2)).status_code == 401


def test_my_reservations_lists_bookings_as_booker_or_opponent(client_for, player, other_player, table):
    _reserve(client_for(other_player.user), table, at(2), other_player=player.id)
    book_directly(TableFactory(hall=table.hall, number=3), PlayerFactory(), start=at(2))
    page = client_for(player.user).get("/api/reservations/").json()
    assert page["count"] == 1
    assert page["results"][0]["other_player_details"]["id"] == player.id


def test_cancel_before_start_frees_the_slot(client_for, player, table):
    reservation_id = _reserve(client_for(player.user), table, at(2)).json()["id"]
    assert client_for(player.user).delete(f"/api/reservations/{reservation_id}/").status_code == 204
    assert Reservation.objects.get(pk=reservation_id).status == Reservation.Status.CANCELLED
    assert _reserve(client_for(PlayerFactory().user), table, at(2)).status_code == 201
    again = client_for(player.user).delete(f"/api/reservations/{reservation_id}")
    assert again.status_code == 409
    assert again.json()["error"] == "RESERVATION_OVER"


def test_only_the_booker_cancels(client_for, player, other_player, table):
    reservation_id = _reserve(client_for(player.user), table, at(2), other_player=other_player.id).json()["id"]
    opponent = client_for(other_player.user).delete(f"/api/reservations/{reservation_id}/")
    assert opponent.status_code == 403
    stranger = client_for(PlayerFactory().user).delete(f"/api/reservations/{reservation_id}/")
    assert stranger.status_code == 404
    assert Reservation.objects.get(pk=reservation_id).status == Reservation.Status.BOOKED


def test_cancelling_during_the_game_ends_the_session_and_frees_the_table(client_for, player, table):
    reservation = book_directly(table, player, start=timezone.now() - timedelta(minutes=10), seconds=3600)
    session = GameSession.objects.create(reservation=reservation, table=table, started_at=reservation.start_time)
    assert client_for(player.user).delete(f"/api/reservations/{reservation.id}/").status_code == 204
    session.refresh_from_db()
    reservation.refresh_from_db()
    assert session.ended_at is not None and session.ended_early
    assert session.minutes_played in (10, 11)
    assert reservation.end_time <= timezone.now()
    tables = client_for(player.user).get(f"/api/poolhouses/{table.hall_id}/tables/").json()
    assert tables[0]["free"] is True


def test_staff_walk_in_has_no_booker_and_respects_bookings(client_for, table):
    staff = HallStaffFactory(hall=table.hall).user
    url = f"/api/poolhouses/{table.hall_id}/reservations/"
    response = client_for(staff).post(url, {"table_id": table.number, "duration": 60}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["player_reserving"] is None
    clash = client_for(staff).post(url, {"table_id": table.number, "duration": 30}, format="json")
    assert clash.status_code == 409 and clash.json()["error"] == "TABLE_ALREADY_BOOKED"
    listed = client_for(staff).get(url).json()
    assert [row["id"] for row in listed] == [response.json()["id"]]
    missing = client_for(staff).post(url, {"table_id": 99, "duration": 30}, format="json")
    assert missing.status_code == 404


def test_walk_ins_are_for_that_halls_staff_only(client_for, player, table):
    url = f"/api/poolhouses/{table.hall_id}/reservations/"
    for user in (player.user, HallStaffFactory().user):
        response = client_for(user).post(url, {"table_id": table.number, "duration": 60}, format="json")
        assert response.status_code == 403
        assert response.json()["error"] == "NOT_HALL_STAFF"
        assert client_for(user).get(url).status_code == 403
    assert not Reservation.objects.exists()


def test_a_booking_across_a_daylight_saving_change_lasts_its_real_minutes(client_for, player):
    import time_machine

    # Berlin, 25 October 2026: 03:00 becomes 02:00 again. Booked 01:30 local for 120 minutes.
    hall = HallFactory(open_time=time(0), close_time=time(0), time_zone="Europe/Berlin")
    table = TableFactory(hall=hall, number=1)
    with time_machine.travel(datetime(2026, 10, 24, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        response = client_for(player.user).post(
            f"/api/poolhouses/{hall.pk}/tables/{table.pk}/reserve/",
            {"start_time": "2026-10-25T01:30:00", "duration": 120},
            format="json",
        )
    assert response.status_code == 201, response.json()
    booked = Reservation.objects.get()
    assert booked.end_time - booked.start_time == timedelta(minutes=120)
    assert booked.start_time == datetime(2026, 10, 24, 23, 30, tzinfo=ZoneInfo("UTC"))
