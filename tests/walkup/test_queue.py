"""The walk-up queue's rules on MariaDB: order, fit, offers made, confirmed, declined and lapsed, a booking
ahead, seating by hand, the three ways a table frees, and every bad input with its code."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.notifications.models import Notification
from apps.reservations import services as sessions
from apps.reservations.models import GameSession, Reservation
from apps.walkup import services
from apps.walkup.models import Offer, QueueEntry
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.walkup.helpers import join, pending_offer, running_game

pytestmark = pytest.mark.django_db


def test_a_party_joining_while_a_table_is_free_is_offered_it_at_once(hall, client_for):
    table = TableFactory(hall=hall, number=4)
    player = PlayerFactory()
    response = client_for(player.user).post(
        f"/api/poolhouses/{hall.id}/queue/", {"party_size": 3, "name": "Nino"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["position"], body["name"], body["username"]) == (
        "waiting",
        1,
        "Nino",
        player.user.username,
    )
    offer = body["offer"]
    assert (offer["table"], offer["table_number"], offer["status"], offer["until"]) == (table.id, 4, "pending", None)
    note = Notification.objects.get(recipient=player, type=Notification.Type.TABLE_READY)
    assert note.extra == str(offer["id"])
    assert "Table 4" in note.body and "confirm within 5 minutes" in note.body
    stored = Offer.objects.get(pk=offer["id"])
    assert stored.expires_at == stored.offered_at + timedelta(minutes=5)


def test_the_default_name_is_an_initial(hall):
    TableFactory(hall=hall)
    player = PlayerFactory(user__first_name="ketevan")
    assert join(hall, player).name == "K."


def test_parties_are_offered_tables_in_the_order_they_joined_and_only_tables_that_fit(
    hall, django_capture_on_commit_callbacks
):
    pool = TableFactory(hall=hall, number=1, kind="pool")
    snooker = TableFactory(hall=hall, number=2, kind="snooker")
    pool_game = running_game(pool, minutes_left=30)
    snooker_game = running_game(snooker, minutes_left=60)
    first = join(hall)  # any table
    wants_snooker = join(hall, table_kind="snooker")
    wants_pool = join(hall, table_kind="pool")
    assert not Offer.objects.exists()  # everything is busy

    staff = HallStaffFactory(hall=hall).user
    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_end_by_staff(session_id=snooker_game.pk, staff_user=staff)
    assert pending_offer(first).table == snooker  # the first party fits any table
    assert pending_offer(wants_snooker) is None

    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_end_by_staff(session_id=pool_game.pk, staff_user=staff)
    # The snooker party does not fit the pool table; the pool party behind it does.
    assert pending_offer(wants_snooker) is None
    assert pending_offer(wants_pool).table == pool


def test_a_party_with_no_preference_leaves_the_kind_others_ask_for(hall):
    TableFactory(hall=hall, number=1, kind="snooker")
    pool = TableFactory(hall=hall, number=2, kind="pool")
    for table in hall.tables.all():
        running_game(table, minutes_left=20)
    anyone = join(hall)
    wants_snooker = join(hall, table_kind="snooker")
    GameSession.objects.update(ended_at=timezone.now())
    Reservation.objects.update(end_time=timezone.now() - timedelta(minutes=10))
    services.queue_dispatch(hall_id=hall.id)
    assert pending_offer(anyone).table == pool
    assert pending_offer(wants_snooker).table.kind == "snooker"


@pytest.mark.parametrize("how", ["finished at its time", "booker cancelled", "staff ended it"])
def test_each_way_a_table_frees_offers_it(hall, how, django_capture_on_commit_callbacks):
    table = TableFactory(hall=hall, number=1)
    game = running_game(table, minutes_left=30)
    party = join(hall)
    assert pending_offer(party) is None
    with django_capture_on_commit_callbacks(execute=True):
        if how == "finished at its time":
            Reservation.objects.filter(pk=game.reservation_id).update(end_time=timezone.now())
            sessions.session_finish(session_id=game.pk)
        elif how == "booker cancelled":
            sessions.reservation_cancel(reservation_id=game.reservation_id, user=game.reservation.player_reserving.user)
        else:
            sessions.session_end_by_staff(session_id=game.pk, staff_user=HallStaffFactory(hall=hall).user)
    offer = pending_offer(party)
    assert offer is not None and offer.table == table
    # Play starts once the table is tidied (on the next whole second).
    tidied = Reservation.objects.get(pk=game.reservation_id).end_time + timedelta(minutes=5)
    assert timedelta(0) <= offer.ready_at - tidied < timedelta(seconds=1)


def test_a_cancelled_booking_that_leaves_room_offers_its_table(hall, django_capture_on_commit_callbacks):
    table = TableFactory(hall=hall, number=1)
    upcoming = book_directly(table, PlayerFactory(), start=timezone.now() + timedelta(minutes=10), seconds=3600)
    party = join(hall)
    assert pending_offer(party) is None  # 10 minutes before a booking: no room for a game
    with django_capture_on_commit_callbacks(execute=True):
        sessions.reservation_cancel(reservation_id=upcoming.pk, user=upcoming.player_reserving.user)
    assert pending_offer(party).table == table


def test_confirming_starts_a_walk_in_for_the_party_once_the_table_is_tidied(hall, client_for):
    table = TableFactory(hall=hall, number=1)
    game = running_game(table, minutes_left=30)
    sessions.session_end_by_staff(session_id=game.pk, staff_user=HallStaffFactory(hall=hall).user)
    player = PlayerFactory()
    entry = join(hall, player, minutes=90)
    offer = pending_offer(entry)
    assert offer is not None
    response = client_for(player.user).post(f"/api/offers/{offer.pk}/confirm/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["position"], body["offer"]) == ("seated", None, None)
    reservation = Reservation.objects.get(pk=body["reservation"])
    assert reservation.table == table and reservation.player_reserving == player
    assert reservation.start_time == offer.ready_at.replace(microsecond=0)
    assert reservation.duration == 90
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CONFIRMED and offer.open_table is None
    with time_machine.travel(reservation.start_time + timedelta(seconds=1), tick=False):
        session = sessions.session_start(reservation_id=reservation.pk)
    assert session is not None and session.table == table


def test_a_table_with_a_booking_ahead_is_offered_until_it_and_declining_keeps_the_place(hall, client_for):
    table = TableFactory(hall=hall, number=1)
    booked_at = (timezone.now() + timedelta(minutes=50)).replace(second=0, microsecond=0)
    book_directly(table, PlayerFactory(), start=booked_at, seconds=3600)
    first, second = PlayerFactory(), PlayerFactory()
    first_entry = join(hall, first)  # wants the default hour
    second_entry = join(hall, second, minutes=30)
    offer = pending_offer(first_entry)
    assert offer.until == booked_at - timedelta(minutes=5)
    local = offer.until.astimezone(ZoneInfo(hall.time_zone))
    assert f"to play until {local:%H:%M}" in Notification.objects.get(extra=str(offer.pk)).body

    declined = client_for(first.user).post(f"/api/offers/{offer.pk}/decline/")
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["position"]) == ("waiting", 1)  # keeps its place
    # The slot passes on, and is not offered again to the party that declined it.
    passed = pending_offer(second_entry)
    assert passed is not None and passed.table == table and passed.until == offer.until
    assert pending_offer(first_entry) is None

    confirmed = client_for(second.user).post(f"/api/offers/{passed.pk}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    reservation = Reservation.objects.get(pk=confirmed.json()["reservation"])
    assert reservation.end_time <= offer.until and reservation.duration == 30


def test_declining_a_whole_table_leaves_the_queue(hall, client_for):
    TableFactory(hall=hall)
    player = PlayerFactory()
    entry = join(hall, player)
    response = client_for(player.user).post(f"/api/offers/{pending_offer(entry).pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "left"


def test_no_room_before_a_booking_means_no_offer(hall):
    table = TableFactory(hall=hall)
    book_directly(table, PlayerFactory(), start=timezone.now() + timedelta(minutes=19), seconds=3600)
    assert pending_offer(join(hall)) is None  # 19 - 5 (tidy) < 15 minutes, the shortest game


def test_an_unanswered_offer_lapses_counts_a_no_show_and_passes_on(hall):
    table = TableFactory(hall=hall)
    silent, next_party = join(hall), join(hall)
    offer = pending_offer(silent)
    assert services.offer_expire(offer_id=offer.pk) is None  # not due: a stale or early task does nothing
    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        assert services.offer_expire(offer_id=offer.pk) is not None
        assert services.offer_expire(offer_id=offer.pk) is None  # a second delivery changes nothing
    silent.refresh_from_db()
    offer.refresh_from_db()
    assert (silent.status, offer.status, silent.active_player_id) == ("no_show", "expired", None)
    assert pending_offer(next_party).table == table


def test_staff_add_a_desk_party_see_the_queue_and_seat_it_by_hand(hall, client_for):
    tables = [TableFactory(hall=hall, number=n) for n in (1, 2)]
    for table in tables:
        running_game(table, minutes_left=40)
    staff = HallStaffFactory(hall=hall).user
    app_party = join(hall)
    added = client_for(staff).post(
        f"/api/poolhouses/{hall.id}/queue/staff/", {"name": " Sam ", "party_size": 5}, format="json"
    )
    assert added.status_code == 201, added.content
    desk = added.json()
    assert (desk["name"], desk["username"], desk["position"]) == ("Sam", None, 2)
    listed = client_for(staff).get(f"/api/poolhouses/{hall.id}/queue/staff/").json()
    assert [row["id"] for row in listed] == [app_party.pk, desk["id"]]
    assert all(row["wait"] is not None for row in listed)

    busy = client_for(staff).post(f"/api/queue/{desk['id']}/seat/", {"table_id": 2}, format="json")
    assert (busy.status_code, busy.json()["error"]) == (409, "TABLE_ALREADY_BOOKED")
    GameSession.objects.filter(table=tables[1]).update(ended_at=timezone.now())
    Reservation.objects.filter(table=tables[1]).update(end_time=timezone.now() - timedelta(minutes=6))
    services.queue_dispatch(hall_id=hall.id)
    assert pending_offer(app_party).table == tables[1]
    # Staff give that table to the desk party instead: the app party's offer is withdrawn, its place kept.
    seated = client_for(staff).post(f"/api/queue/{desk['id']}/seat/", {"table_id": 2}, format="json")
    assert seated.status_code == 200, seated.content
    reservation = Reservation.objects.get(pk=seated.json()["reservation"])
    assert reservation.player_reserving is None and reservation.created_by == staff
    app_party.refresh_from_db()
    assert app_party.status == "waiting" and pending_offer(app_party) is None
    assert Offer.objects.get(entry=app_party).status == Offer.Status.WITHDRAWN
    again = client_for(staff).post(f"/api/queue/{desk['id']}/seat/", {"table_id": 1}, format="json")
    assert (again.status_code, again.json()["error"]) == (409, "QUEUE_ENTRY_NOT_WAITING")


def test_staff_answer_the_offers_of_desk_parties(hall, client_for):
    table = TableFactory(hall=hall)
    staff = HallStaffFactory(hall=hall).user
    desk = services.queue_add_at_desk(hall=hall, user=staff, name="Gio", party_size=2)
    response = client_for(staff).post(f"/api/offers/{pending_offer(desk).pk}/confirm/")
    assert response.status_code == 200, response.content
    reservation = Reservation.objects.get(pk=response.json()["reservation"])
    assert (reservation.table, reservation.player_reserving, reservation.duration) == (table, None, 60)


def test_leaving_passes_the_offer_on(hall, client_for):
    table = TableFactory(hall=hall)
    player = PlayerFactory()
    leaving, staying = join(hall, player), join(hall)
    assert pending_offer(leaving).table == table
    response = client_for(player.user).delete(f"/api/queue/{leaving.pk}/")
    assert response.status_code == 204
    leaving.refresh_from_db()
    assert leaving.status == "left" and pending_offer(staying).table == table
    staff_removes = client_for(HallStaffFactory(hall=hall).user).delete(f"/api/queue/{staying.pk}/")
    assert staff_removes.status_code == 204
    staying.refresh_from_db()
    assert staying.status == "removed"


def test_the_public_wait_list_shows_chosen_names_and_waits_and_nothing_personal(hall, api):
    table = TableFactory(hall=hall, number=7, kind="snooker")
    running_game(table, minutes_left=12)
    player = PlayerFactory(user__first_name="Tamar", user__email="tamar@example.com")
    join(hall, player, name="T.", party_size=4)
    response = api.get(f"/api/poolhouses/{hall.id}/queue/")
    assert response.status_code == 200
    body = response.json()
    (party,) = body["parties"]
    assert party == {
        "position": 1,
        "name": "T.",
        "party_size": 4,
        "table_kind": "",
        "wait": party["wait"],
        "offered": False,
    }
    assert party["wait"]["low"] <= party["wait"]["typical"] <= party["wait"]["high"]
    assert party["wait"]["typical"] == 17  # the booked end in 12 minutes, then 5 to tidy
    assert body["tables_freeing"] == [
        {"table_number": 7, "kind": "snooker", "ready_at": body["tables_freeing"][0]["ready_at"], "free_in": 17}
    ]
    text = response.content.decode()
    for private in (player.user.username, "tamar@example.com", "Tamar", str(player.pk)):
        assert private not in text


# --- Bad input: a clear 4xx with its code, nothing changed ----------------------------------------------


def test_joining_twice_is_refused(hall, client_for):
    TableFactory(hall=hall)
    player = PlayerFactory()
    client = client_for(player.user)
    assert client.post(f"/api/poolhouses/{hall.id}/queue/", {"party_size": 2}, format="json").status_code == 201
    other_hall = HallFactory(open_time=time(0), close_time=time(0))
    again = client.post(f"/api/poolhouses/{other_hall.id}/queue/", {"party_size": 2}, format="json")
    assert (again.status_code, again.json()["error"]) == (409, "ALREADY_IN_QUEUE")
    assert QueueEntry.objects.filter(player=player).count() == 1


def test_joining_a_closed_hall_is_refused(client_for):
    hall = HallFactory(open_time=time(10), close_time=time(2), time_zone="Asia/Tbilisi")
    TableFactory(hall=hall)
    five_in_the_morning = timezone.now().astimezone(ZoneInfo("Asia/Tbilisi")).replace(hour=5, minute=0)
    with time_machine.travel(five_in_the_morning, tick=False):
        response = client_for(PlayerFactory().user).post(
            f"/api/poolhouses/{hall.id}/queue/", {"party_size": 2}, format="json"
        )
    assert (response.status_code, response.json()["error"]) == (409, "HALL_CLOSED")
    assert not QueueEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"party_size": 2, "table_kind": "snooker"}, 400, "TABLE_KIND_NOT_HERE"),
        ({"party_size": 2, "table_kind": "carom"}, 400, "VALIDATION_ERROR"),
        ({"party_size": 0}, 400, "VALIDATION_ERROR"),
        ({"party_size": "two"}, 400, "VALIDATION_ERROR"),
        ({}, 400, "VALIDATION_ERROR"),
        ({"party_size": 2, "name": "x" * 21}, 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_joins_are_refused_with_their_codes(hall, client_for, body, status, code):
    TableFactory(hall=hall, kind="pool")
    response = client_for(PlayerFactory().user).post(f"/api/poolhouses/{hall.id}/queue/", body, format="json")
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert not QueueEntry.objects.exists()


def test_someone_elses_offer_cannot_be_answered_or_seen(hall, client_for):
    TableFactory(hall=hall)
    entry = join(hall)
    offer = pending_offer(entry)
    stranger = client_for(PlayerFactory().user)
    for path in (f"/api/offers/{offer.pk}/confirm/", f"/api/offers/{offer.pk}/decline/"):
        response = stranger.post(path)
        assert (response.status_code, response.json()["error"]) == (404, "OFFER_NOT_FOUND")
    response = stranger.get(f"/api/queue/{entry.pk}/")
    assert (response.status_code, response.json()["error"]) == (404, "QUEUE_ENTRY_NOT_FOUND")
    other_staff = client_for(HallStaffFactory().user)
    assert other_staff.post(f"/api/offers/{offer.pk}/confirm/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def test_an_expired_or_answered_offer_cannot_be_confirmed(hall, client_for):
    TableFactory(hall=hall)
    player = PlayerFactory()
    entry = join(hall, player)
    offer = pending_offer(entry)
    client = client_for(player.user)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        late = client.post(f"/api/offers/{offer.pk}/confirm/")
    assert (late.status_code, late.json()["error"]) == (409, "OFFER_EXPIRED")
    assert not Reservation.objects.exists()
    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        services.offer_expire(offer_id=offer.pk)
    after = client.post(f"/api/offers/{offer.pk}/confirm/")
    assert (after.status_code, after.json()["error"]) == (409, "OFFER_EXPIRED")

    second = join(hall, PlayerFactory())  # the lapsed offer went on to nobody; a new party gets the table
    new_offer = pending_offer(second)
    owner = client_for(second.player.user)
    assert owner.post(f"/api/offers/{new_offer.pk}/decline/").status_code == 200
    answered = owner.post(f"/api/offers/{new_offer.pk}/confirm/")
    assert (answered.status_code, answered.json()["error"]) == (409, "OFFER_NOT_PENDING")


def test_a_table_taken_before_the_party_confirms_withdraws_the_offer_and_keeps_the_place(hall, client_for):
    table = TableFactory(hall=hall)
    player = PlayerFactory()
    entry = join(hall, player)
    offer = pending_offer(entry)
    sessions.reservation_create(
        table=table, start=timezone.now() + timedelta(minutes=10), minutes=60, player=PlayerFactory()
    )
    response = client_for(player.user).post(f"/api/offers/{offer.pk}/confirm/")
    assert (response.status_code, response.json()["error"]) == (409, "TABLE_ALREADY_BOOKED")
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN and entry.status == "waiting"


def test_seating_is_for_the_halls_staff(hall, client_for):
    TableFactory(hall=hall, number=1)
    entry = join(hall)
    player_client = client_for(entry.player.user)
    refused = player_client.post(f"/api/queue/{entry.pk}/seat/", {"table_id": 1}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (403, "NOT_HALL_STAFF")
    staff = client_for(HallStaffFactory(hall=hall).user)
    unknown = staff.post(f"/api/queue/{entry.pk}/seat/", {"table_id": 99}, format="json")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "TABLE_NOT_FOUND")
    entry.refresh_from_db()
    assert entry.status == "waiting"


def test_leaving_twice_is_refused(hall, client_for):
    entry = join(hall)
    client = client_for(entry.player.user)
    assert client.delete(f"/api/queue/{entry.pk}/").status_code == 204
    again = client.delete(f"/api/queue/{entry.pk}/")
    assert (again.status_code, again.json()["error"]) == (409, "QUEUE_ENTRY_NOT_WAITING")


def test_services_refuse_a_second_waiting_entry_even_without_the_check(hall):
    """The unique active_player column holds one waiting entry per player."""
    player = PlayerFactory()
    join(hall, player)
    with pytest.raises(DomainError) as refused:
        join(HallFactory(open_time=time(0), close_time=time(0)), player)
    assert refused.value.code == "ALREADY_IN_QUEUE"
