"""Tournaments written row by row (no rules, no holds through the booking service), for the tests that
need one in a given state among other fixtures: the authorization matrix and the schema fuzzing."""

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import Player, User
from apps.halls.models import PoolHouse, PoolTable
from apps.reservations.models import GameSession
from apps.tournaments.models import Entry, Match, Tournament, TournamentTable
from tests.helpers import book_directly

HOUR = timedelta(hours=1)


def open_tournament(hall: PoolHouse, staff_user: User, players: list[Player]) -> Tournament:
    """Registration and check-in open now; `players` registered, none checked in."""
    now = timezone.now().replace(microsecond=0)
    tournament = Tournament.objects.create(
        hall=hall,
        name="Open",
        registration_opens_at=now - HOUR,
        registration_closes_at=now + HOUR,
        check_in_opens_at=now - HOUR,
        check_in_closes_at=now + 2 * HOUR,
        starts_at=now + 2 * HOUR,
        ends_at=now + 8 * HOUR,
        created_by=staff_user,
    )
    for player in players:
        Entry.objects.create(tournament=tournament, player=player)
    return tournament


def running_tournament(
    hall: PoolHouse, staff_user: User, first: Player, second: Player, tables: list[PoolTable]
) -> tuple[Tournament, Match]:
    """A single elimination of two, started an hour ago on `tables` (held), its match on the first table."""
    now = timezone.now().replace(microsecond=0)
    tournament = Tournament.objects.create(
        hall=hall,
        name="Running",
        format=Tournament.Format.SINGLE_ELIMINATION,
        state=Tournament.State.RUNNING,
        registration_opens_at=now - 3 * HOUR,
        registration_closes_at=now - 2 * HOUR,
        check_in_opens_at=now - 2 * HOUR,
        check_in_closes_at=now - HOUR,
        starts_at=now - HOUR,
        ends_at=now + 5 * HOUR,
        started_at=now - HOUR,
        created_by=staff_user,
    )
    for table in tables:
        hold = book_directly(table, start=now - HOUR, seconds=6 * 3600)
        TournamentTable.objects.create(tournament=tournament, table=table, hold=hold)
    entries = [
        Entry.objects.create(tournament=tournament, player=player, seed=seed, checked_in_at=now - 2 * HOUR)
        for seed, player in ((1, first), (2, second))
    ]
    game = book_directly(tables[0], first, second, start=now - timedelta(minutes=20), seconds=3 * 3600)
    session = GameSession.objects.create(reservation=game, table=tables[0], started_at=game.start_time)
    match = Match.objects.create(
        tournament=tournament,
        key="W1-1",
        bracket="W",
        round=1,
        stage=0,
        order=1,
        source_a="seed:1",
        source_b="seed:2",
        final=True,
        state=Match.State.ON_TABLE,
        player_a=entries[0],
        player_b=entries[1],
        table=tables[0],
        on_table=tables[0],
        session=session,
    )
    return tournament, match
