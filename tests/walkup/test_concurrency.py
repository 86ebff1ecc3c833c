"""Races on the real MariaDB, each thread on its own connection like two app servers: tables freeing at
once, staff seating at once, a party confirming as its offer lapses. One offer per party, one party per
table, nobody skipped or seated twice."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.reservations import services as sessions
from apps.reservations.models import GameSession, Reservation
from apps.walkup import services
from apps.walkup.models import Offer, QueueEntry
from tests.factories import HallStaffFactory, PlayerFactory, TableFactory
from tests.walkup.helpers import join, pending_offer, running_game

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Run the calls at the same moment, each in its own thread and connection; their results or error codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_tables_freeing_at_once_go_to_the_first_two_parties_one_each(hall):
    tables = [TableFactory(hall=hall, number=n) for n in (1, 2, 3)]
    games = [running_game(table, minutes_left=30) for table in tables]
    first, second, third = join(hall), join(hall), join(hall)
    staff = [HallStaffFactory(hall=hall).user for _ in games[:2]]
    _race(
        lambda: sessions.session_end_by_staff(session_id=games[0].pk, staff_user=staff[0]),
        lambda: sessions.session_end_by_staff(session_id=games[1].pk, staff_user=staff[1]),
    )
    offers = list(Offer.objects.filter(status=Offer.Status.PENDING))
    assert len(offers) == 2
    assert {offer.entry_id for offer in offers} == {first.pk, second.pk}  # nobody skipped
    assert {offer.table_id for offer in offers} == {tables[0].pk, tables[1].pk}  # one party per table
    assert pending_offer(third) is None


def test_two_staff_seating_one_party_at_once_seat_it_once(hall):
    tables = [TableFactory(hall=hall, number=n) for n in (1, 2)]
    for table in tables:
        running_game(table, minutes_left=60)
    party = join(hall)
    staff = [HallStaffFactory(hall=hall).user, HallStaffFactory(hall=hall).user]
    Reservation.objects.all().update(end_time=timezone.now() - timedelta(minutes=6))
    GameSession.objects.update(ended_at=timezone.now() - timedelta(minutes=6))
    Offer.objects.all().delete()
    outcomes = _race(
        lambda: services.entry_seat(entry_id=party.pk, table_number=1, user=staff[0]).status,
        lambda: services.entry_seat(entry_id=party.pk, table_number=2, user=staff[1]).status,
    )
    assert sorted(outcomes) == ["QUEUE_ENTRY_NOT_WAITING", "seated"], outcomes
    party.refresh_from_db()
    walk_ins = Reservation.objects.filter(
        player_reserving=party.player, status="booked", start_time__gte=timezone.now() - timedelta(minutes=1)
    )
    assert walk_ins.count() == 1 and party.reservation_id == walk_ins.get().pk


def test_two_staff_seating_two_parties_on_one_table_seat_one(hall):
    TableFactory(hall=hall, number=1)
    staff = [HallStaffFactory(hall=hall).user, HallStaffFactory(hall=hall).user]
    first = services.queue_add_at_desk(hall=hall, user=staff[0], name="A", party_size=2)
    second = services.queue_add_at_desk(hall=hall, user=staff[1], name="B", party_size=2)
    outcomes = _race(
        lambda: services.entry_seat(entry_id=first.pk, table_number=1, user=staff[0]).status,
        lambda: services.entry_seat(entry_id=second.pk, table_number=1, user=staff[1]).status,
    )
    assert sorted(outcomes) == ["TABLE_ALREADY_BOOKED", "seated"], outcomes
    assert Reservation.objects.filter(status="booked").count() == 1
    statuses = sorted(QueueEntry.objects.values_list("status", flat=True))
    assert statuses == ["seated", "waiting"]  # the other party keeps its place


@pytest.mark.parametrize("offset_ms", [-400, -50, 0, 300, 900])
def test_a_party_confirming_as_its_offer_lapses_gets_the_table_or_lapses_never_both(hall, offset_ms):
    TableFactory(hall=hall, number=1)
    party = join(hall)
    offer = pending_offer(party)
    user = party.player.user
    with time_machine.travel(offer.expires_at + timedelta(milliseconds=offset_ms), tick=True):
        confirmed, expired = _race(
            lambda: services.offer_confirm(offer_id=offer.pk, user=user).status,
            lambda: services.offer_expire(offer_id=offer.pk),
        )
    party.refresh_from_db()
    offer.refresh_from_db()
    if confirmed == "seated":
        assert expired is None
        assert (party.status, offer.status) == ("seated", "confirmed")
        assert Reservation.objects.filter(pk=party.reservation_id).exists()
    else:
        assert confirmed in ("OFFER_EXPIRED",)
        assert expired is not None
        assert (party.status, offer.status) == ("no_show", "expired")
        assert not Reservation.objects.exists()
    assert Offer.objects.filter(status=Offer.Status.PENDING, entry=party).count() == 0


def test_many_parties_racing_to_join_while_a_table_frees_get_one_offer_each_in_order(hall):
    table = TableFactory(hall=hall, number=1)
    game = running_game(table, minutes_left=30)
    players = PlayerFactory.create_batch(6)
    staff = HallStaffFactory(hall=hall).user
    _race(
        *[lambda p=p: join(hall, p) for p in players],
        lambda: sessions.session_end_by_staff(session_id=game.pk, staff_user=staff),
    )
    waiting = list(QueueEntry.objects.filter(status="waiting").order_by("joined_at", "id"))
    assert len(waiting) == 6
    offers = list(Offer.objects.filter(status=Offer.Status.PENDING))
    assert len(offers) == 1 and offers[0].table == table
    assert offers[0].entry_id == waiting[0].pk  # the first to join, however the race went


def test_more_time_and_a_booking_racing_for_the_same_minutes_end_with_one_of_them(hall):
    table = TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    entry = services.entry_seat(entry_id=join(hall, minutes=60).pk, table_number=1, user=staff)
    end = Reservation.objects.get(pk=entry.reservation_id).end_time
    booker = PlayerFactory()
    results = _race(
        lambda: services.entry_extend(entry_id=entry.pk, minutes=30, user=entry.player.user).added_minutes,
        lambda: (
            sessions.reservation_create(
                table=table, start=end + timedelta(minutes=10), minutes=60, player=booker
            ).duration
        ),
    )
    assert sorted(results, key=str) in ([30, "TABLE_ALREADY_BOOKED"], [60, "TABLE_ALREADY_BOOKED"])
    live = Reservation.objects.filter(table=table, status=Reservation.Status.BOOKED).order_by("start_time")
    rows = list(live.values_list("start_time", "end_time"))
    assert all(later[0] >= earlier[1] + timedelta(minutes=5) for earlier, later in pairwise(rows))


@pytest.mark.parametrize("attempt", range(4))
def test_more_time_racing_the_games_timed_finish_ends_with_one_of_them(hall, attempt):
    """Asked for at the last moment: either the game ends at its time and the booking stays as it was
    (RESERVATION_OVER), or the booking is longer and the game still runs; never a longer booking for a game
    that ended."""
    TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    entry = services.entry_seat(entry_id=join(hall, minutes=60).pk, table_number=1, user=staff)
    booking = Reservation.objects.get(pk=entry.reservation_id)
    due = timezone.now() + timedelta(milliseconds=300)  # within the finish's tolerance, not yet over
    Reservation.objects.filter(pk=booking.pk).update(start_time=due - timedelta(minutes=60), end_time=due)
    session = GameSession.objects.filter(reservation=booking).first() or sessions.session_start(
        reservation_id=booking.pk
    )
    results = _race(
        lambda: services.entry_extend(entry_id=entry.pk, minutes=30, user=entry.player.user).added_minutes,
        lambda: sessions.session_finish(session_id=session.pk) is not None,
    )
    booking.refresh_from_db()
    session.refresh_from_db()
    if session.ended_at is not None:
        assert booking.end_time == due and results[0] == "RESERVATION_OVER"
    else:
        assert results == [30, False] and booking.end_time == due + timedelta(minutes=30)
