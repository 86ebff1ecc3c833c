"""Races against the real MariaDB: each thread has its own database connection, like two app servers."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.reservations import services
from apps.reservations.models import GameSession, Reservation
from apps.reservations.tasks import sessions_sweep
from tests.factories import PlayerFactory, TableFactory
from tests.helpers import at, book_directly

pytestmark = pytest.mark.django_db(transaction=True)


def _in_own_connection(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connections.close_all()

    return run


def test_racing_bookings_end_with_exactly_one_winner_per_slot(hall):
    tables = [TableFactory(hall=hall, number=n) for n in (1, 2)]
    players = PlayerFactory.create_batch(60)
    # 60 attempts: for each table, overlapping slots that all collide with each other.
    attempts = [(players[i], tables[i % 2], at(3) + timedelta(minutes=15 * (i % 3)), 60) for i in range(len(players))]
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    @_in_own_connection
    def attempt(player, table, start, minutes):
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            services.reservation_create(table=table, start=start, minutes=minutes, player=player)
            return "won"
        except DomainError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda args: attempt(*args), attempts))

    assert outcomes.count("won") == 2, outcomes
    assert set(outcomes) == {"won", "TABLE_ALREADY_BOOKED"}
    for table in tables:
        booked = list(Reservation.objects.filter(table=table, status="booked").order_by("start_time"))
        assert len(booked) == 1
    # And no two live bookings of one table overlap anywhere.
    for table in tables:
        rows = list(Reservation.objects.filter(table=table, status="booked").order_by("start_time"))
        for earlier, later in itertools.pairwise(rows):
            assert earlier.end_time <= later.start_time


def test_one_player_racing_for_two_tables_gets_one(hall):
    tables = [TableFactory(hall=hall, number=n) for n in range(1, 9)]
    player = PlayerFactory()
    barrier = threading.Barrier(len(tables))

    @_in_own_connection
    def attempt(table):
        barrier.wait(timeout=10)
        try:
            services.reservation_create(table=table, start=at(2), minutes=60, player=player)
            return "won"
        except DomainError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=len(tables)) as pool:
        outcomes = list(pool.map(attempt, tables))
    assert outcomes.count("won") == 1
    assert set(outcomes) == {"won", "PLAYER_ALREADY_BOOKED"}


def test_concurrent_sweeps_start_one_session_per_reservation(hall):
    tables = [TableFactory(hall=hall, number=n) for n in range(1, 11)]
    due = [
        book_directly(table, PlayerFactory(), PlayerFactory(), start=timezone.now() - timedelta(seconds=5))
        for table in tables
    ]
    barrier = threading.Barrier(4)

    @_in_own_connection
    def sweep(_):
        barrier.wait(timeout=10)
        return sessions_sweep()

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(sweep, range(4)))
    assert GameSession.objects.count() == len(due)
    assert sum(report["started"] for report in reports) == len(due)
    for reservation in due:
        assert GameSession.objects.filter(reservation=reservation).count() == 1


def test_concurrent_starts_of_one_reservation_make_one_session(hall):
    table = TableFactory(hall=hall)
    reservation = book_directly(table, PlayerFactory(), start=timezone.now() - timedelta(seconds=1))
    barrier = threading.Barrier(8)

    @_in_own_connection
    def start(_):
        barrier.wait(timeout=10)
        return services.session_start(reservation_id=reservation.pk)

    with ThreadPoolExecutor(max_workers=8) as pool:
        started = [session for session in pool.map(start, range(8)) if session is not None]
    assert len(started) == 1
    assert GameSession.objects.filter(reservation=reservation).count() == 1
    assert connection.vendor == "mysql"
