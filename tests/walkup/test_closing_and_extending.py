"""Closing time and more time, with the clock pinned: a hall that closes after midnight in its own zone
clears its queue (each player told), offers never run past closing, staff seat a party on the first free
table, and a party seated from the queue extends its game through the booking service, priced by the price
list, up to the next booking and closing, refused with a code otherwise."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.halls.hours import closing_time
from apps.notifications.models import Notification
from apps.pricing import services as pricing
from apps.pricing.rates import Rate
from apps.reservations import services as sessions
from apps.reservations.models import GameSession, Reservation
from apps.walkup import selectors, services
from apps.walkup.models import Offer, QueueEntry
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.walkup.helpers import join, pending_offer

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# A Saturday night in Berlin (no daylight-saving change near it); the hall is open 18:00 to 02:00.
NIGHT = datetime(2031, 5, 17, 1, 30, tzinfo=BERLIN)
CLOSES = datetime(2031, 5, 17, 2, 0, tzinfo=BERLIN)


@pytest.fixture
def night_hall(db):
    return HallFactory(open_time=time(18), close_time=time(2), time_zone="Europe/Berlin")


def _local(hour: int, minute: int = 0, second: int = 0, day: int = 17) -> datetime:
    return datetime(2031, 5, day, hour, minute, second, tzinfo=BERLIN)


def test_closing_time_is_the_end_of_the_open_stretch_in_the_halls_zone_across_midnight(night_hall):
    assert closing_time(night_hall, _local(23, day=16)) == CLOSES
    assert closing_time(night_hall, _local(1, 59)) == CLOSES
    assert closing_time(night_hall, _local(3)) == _local(3)  # closed: it closes "now"
    assert closing_time(HallFactory(open_time=time(0), close_time=time(0)), _local(3)) is None


def test_parties_still_waiting_at_closing_are_cleared_by_the_sweep_and_told(
    night_hall, django_capture_on_commit_callbacks
):
    table = TableFactory(hall=night_hall, number=1)
    staff = HallStaffFactory(hall=night_hall).user
    player = PlayerFactory()
    with time_machine.travel(NIGHT, tick=False) as clock:
        book_directly(table, start=_local(1), seconds=3600)  # busy up to closing
        waiting = join(night_hall, player)
        desk = services.queue_add_at_desk(hall=night_hall, user=staff, name="Sam", party_size=3)
        clock.move_to(_local(1, 59, 59))
        assert services.queue_sweep()["closed"] == 0
        clock.move_to(_local(2, 0, 30))
        with django_capture_on_commit_callbacks(execute=True):
            report = services.queue_sweep()
    assert report["closed"] == 2
    waiting.refresh_from_db()
    desk.refresh_from_db()
    assert (waiting.status, desk.status) == (QueueEntry.Status.CLOSED, QueueEntry.Status.CLOSED)
    assert waiting.active_player is None and waiting.left_at == _local(2, 0, 30)
    note = Notification.objects.get(recipient=player, type=Notification.Type.QUEUE_CLOSED)
    assert note.extra == str(waiting.pk) and "has closed" in note.body
    assert Notification.objects.filter(type=Notification.Type.QUEUE_CLOSED).count() == 1  # the desk party has none
    # The player waits nowhere now: the next evening they may join again.
    with time_machine.travel(_local(19, day=17), tick=False):
        TableFactory(hall=night_hall, number=2)
        assert join(night_hall, player).status == QueueEntry.Status.WAITING


def test_a_wait_that_may_outlast_closing_says_so_and_an_early_one_does_not(night_hall, client_for):
    table = TableFactory(hall=night_hall, number=1)
    with time_machine.travel(_local(22), tick=False) as clock:
        book_directly(table, start=_local(21, 30), seconds=3600)  # free again about 22:35
        evening = join(night_hall, PlayerFactory())
        view = selectors.queue_view(hall=night_hall, now=timezone.now())
        assert view.of(evening.pk).wait is not None and not view.of(evening.pk).past_closing
        clock.move_to(_local(1, 20))
        book_directly(table, start=_local(1, 10), seconds=3000)  # to 02:00: nothing frees before closing
        late = join(night_hall, PlayerFactory())
        view = selectors.queue_view(hall=night_hall, now=timezone.now())
        assert view.of(late.pk).wait is not None and view.of(late.pk).past_closing
        shown = client_for(late.player.user).get(f"/api/queue/{late.pk}/").json()
        assert shown["wait"]["past_closing"] is True


def test_an_offer_near_closing_is_cut_to_closing_and_none_is_made_without_room_for_a_game(night_hall):
    table = TableFactory(hall=night_hall, number=1)
    second = TableFactory(hall=night_hall, number=2)
    with time_machine.travel(_local(1, 30), tick=False) as clock:
        book_directly(second, start=_local(0, 48), seconds=3600)  # ends 01:48, tidied by 01:53
        entry = join(night_hall, PlayerFactory(), minutes=60)
        offer = pending_offer(entry)
        assert offer is not None and offer.table == table and offer.until == CLOSES
        seated = services.offer_confirm(offer_id=offer.pk, user=entry.player.user)
        booking = Reservation.objects.get(pk=seated.reservation_id)
        assert booking.end_time <= CLOSES and booking.duration == 30
        clock.move_to(_local(1, 40))
        late = join(night_hall, PlayerFactory())
        clock.move_to(_local(1, 49))
        assert services.queue_dispatch(hall_id=night_hall.pk) == []  # 7 minutes left, the shortest game is 15
    assert pending_offer(late) is None


def test_an_offer_made_before_midnight_is_told_with_the_closing_time_in_the_notification(night_hall):
    TableFactory(hall=night_hall, number=1)
    with time_machine.travel(_local(1, 15), tick=False):
        entry = join(night_hall, PlayerFactory())
    note = Notification.objects.get(recipient=entry.player, type=Notification.Type.TABLE_READY)
    assert "to play until 02:00" in note.body


def test_staff_seat_a_party_on_the_first_free_table_that_fits_it(hall, client_for):
    pool, snooker = TableFactory(hall=hall, number=1, kind="pool"), TableFactory(hall=hall, number=2, kind="snooker")
    staff = HallStaffFactory(hall=hall).user
    book_directly(pool, start=timezone.now() - timedelta(minutes=5), seconds=3600)
    book_directly(snooker, start=timezone.now() - timedelta(minutes=5), seconds=3600)
    wants_pool = services.queue_add_at_desk(hall=hall, user=staff, name="Ana", party_size=2, table_kind="pool")
    client = client_for(staff)
    busy = client.post(f"/api/queue/{wants_pool.pk}/seat/", {}, format="json")
    assert (busy.status_code, busy.json()["error"]) == (409, "NO_FREE_TABLE")
    free_pool = TableFactory(hall=hall, number=3, kind="pool")
    TableFactory(hall=hall, number=4, kind="snooker")
    seated = client.post(f"/api/queue/{wants_pool.pk}/seat/", {"table_id": None}, format="json")
    assert seated.status_code == 200, seated.content
    assert Reservation.objects.get(pk=seated.json()["reservation"]).table == free_pool


def test_seating_on_the_first_free_table_takes_the_partys_own_offer_and_never_another_partys(hall, client_for):
    staff = HallStaffFactory(hall=hall).user
    first_table = TableFactory(hall=hall, number=1)
    first = join(hall)
    assert pending_offer(first).table == first_table
    behind = services.queue_add_at_desk(hall=hall, user=staff, name="Bo", party_size=2)
    refused = client_for(staff).post(f"/api/queue/{behind.pk}/seat/", {}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (409, "NO_FREE_TABLE")
    assert pending_offer(first) is not None  # the party in front keeps its offer
    seated = client_for(staff).post(f"/api/queue/{first.pk}/seat/", format="json")
    assert seated.status_code == 200
    assert Reservation.objects.get(pk=seated.json()["reservation"]).table == first_table
    assert Offer.objects.get(entry=first).status == Offer.Status.WITHDRAWN


# --- More time ----------------------------------------------------------------------------------


def _price_list(hall, staff) -> None:
    """12.00 an hour, members 9.00, billed in started quarter hours."""
    pricing.price_list_publish(
        hall=hall,
        user=staff,
        rates=[Rate(0b1111111, time(0), time(0), Decimal("12.00"), Decimal("9.00"))],
        rounding_minutes=15,
        minimum_charge=Decimal("0"),
    )


def _seated(hall, staff, player=None, minutes=60) -> QueueEntry:
    entry = join(hall, player or PlayerFactory(), minutes=minutes)
    return services.entry_seat(entry_id=entry.pk, table_number=1, user=staff)


def test_a_seated_party_extends_its_game_priced_by_the_price_list_and_played_out(night_hall, client_for):
    TableFactory(hall=night_hall, number=1)
    staff = HallStaffFactory(hall=night_hall).user
    with time_machine.travel(_local(21), tick=False) as clock:
        _price_list(night_hall, staff)
        entry = _seated(night_hall, staff, minutes=60)
        session = sessions.session_start(reservation_id=entry.reservation_id)
        response = client_for(entry.player.user).post(f"/api/queue/{entry.pk}/extend/", {"minutes": 30}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["added_minutes"], body["reservation"]) == (30, entry.reservation_id)
        assert body["entry"]["status"] == "seated"
        assert body["end_time"] == _local(22, 30).astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
        assert (body["quote"]["total"], body["added_cost"], body["quote"]["currency"]) == ("18.00", "6.00", "EUR")
        booking = Reservation.objects.get(pk=entry.reservation_id)
        assert (booking.duration, booking.end_time) == (90, _local(22, 30))
        clock.move_to(_local(22, 0, 30))
        assert sessions.session_finish(session_id=session.pk) is None  # the old end is not the end any more
        clock.move_to(_local(22, 30, 1))
        finished = sessions.session_finish(session_id=session.pk)
    assert finished is not None and finished.cost == Decimal("18.00") and finished.minutes_played == 90


def test_staff_extend_a_desk_party_and_the_member_rate_applies_to_a_members_party(hall, client_for):
    TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    _price_list(hall, staff)
    member = PlayerFactory()
    until = timezone.now().date() + timedelta(days=30)
    pricing.membership_set(hall=hall, user=staff, player=member, valid_until=until)
    entry = _seated(hall, staff, player=member)
    extended = client_for(staff).post(f"/api/queue/{entry.pk}/extend/", {"minutes": 60}, format="json")
    assert extended.status_code == 200, extended.content
    assert (extended.json()["quote"]["member"], extended.json()["added_cost"]) == (True, "9.00")


def test_more_time_stops_at_the_next_booking_less_the_tidy_up_time(hall, client_for):
    table = TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    entry = _seated(hall, staff, minutes=60)
    booking = Reservation.objects.get(pk=entry.reservation_id)
    # The next booking starts 20 minutes after this game's end; the hall tidies for 5.
    book_directly(table, PlayerFactory(), start=booking.end_time + timedelta(minutes=20), seconds=3600)
    client = client_for(entry.player.user)
    too_long = client.post(f"/api/queue/{entry.pk}/extend/", {"minutes": 30}, format="json")
    assert (too_long.status_code, too_long.json()["error"]) == (409, "TABLE_ALREADY_BOOKED")
    assert "tidy up" in too_long.json()["detail"]
    fits = client.post(f"/api/queue/{entry.pk}/extend/", {"minutes": 15}, format="json")
    assert fits.status_code == 200, fits.content
    booking.refresh_from_db()
    assert booking.duration == 75


def test_more_time_never_runs_past_closing(night_hall, client_for):
    TableFactory(hall=night_hall, number=1)
    staff = HallStaffFactory(hall=night_hall).user
    with time_machine.travel(_local(0, 45), tick=False):
        entry = _seated(night_hall, staff, minutes=60)
        client = client_for(entry.player.user)
        past = client.post(f"/api/queue/{entry.pk}/extend/", {"minutes": 30}, format="json")
        assert (past.status_code, past.json()["error"]) == (400, "OUTSIDE_OPENING_HOURS")
        up_to = client.post(f"/api/queue/{entry.pk}/extend/", {"minutes": 15}, format="json")
    assert up_to.status_code == 200, up_to.content
    assert Reservation.objects.get(pk=entry.reservation_id).end_time == CLOSES


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"minutes": 7}, 400, "INVALID_DURATION"),
        ({"minutes": 240}, 400, "INVALID_DURATION"),
        ({"minutes": 0}, 400, "VALIDATION_ERROR"),
        ({"minutes": "half an hour"}, 400, "VALIDATION_ERROR"),
        ({}, 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_extensions_are_refused_with_their_codes(hall, client_for, body, status, code):
    TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    entry = _seated(hall, staff)
    response = client_for(entry.player.user).post(f"/api/queue/{entry.pk}/extend/", body, format="json")
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert Reservation.objects.get(pk=entry.reservation_id).duration == 60


def test_only_a_seated_partys_game_not_yet_over_can_be_extended_and_only_by_its_player_or_staff(hall, client_for):
    TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    # The queue's next party finds table 2 busy, so it keeps waiting.
    book_directly(TableFactory(hall=hall, number=2), start=timezone.now() - timedelta(minutes=1), seconds=7200)
    entry = _seated(hall, staff)
    stranger = client_for(PlayerFactory().user).post(f"/api/queue/{entry.pk}/extend/", {"minutes": 15}, format="json")
    assert (stranger.status_code, stranger.json()["error"]) == (404, "QUEUE_ENTRY_NOT_FOUND")
    waiting = join(hall)
    asked = {"minutes": 15}
    not_seated = client_for(waiting.player.user).post(f"/api/queue/{waiting.pk}/extend/", asked, format="json")
    assert (not_seated.status_code, not_seated.json()["error"]) == (409, "QUEUE_ENTRY_NOT_SEATED")
    session = sessions.session_start(reservation_id=entry.reservation_id)
    sessions.session_end_by_staff(session_id=session.pk, staff_user=staff)
    over = client_for(entry.player.user).post(f"/api/queue/{entry.pk}/extend/", {"minutes": 15}, format="json")
    assert (over.status_code, over.json()["error"]) == (409, "RESERVATION_OVER")
    assert GameSession.objects.get(pk=session.pk).ended_early
