"""The tournament's free tables (selectors.tables_free, a compiled query): which tables can take a match now,
and the holds as read, which starting a game inside them checks."""

from datetime import timedelta

from django.utils import timezone

from apps.reservations.models import Reservation
from apps.tournaments import selectors
from apps.tournaments.models import Match, TournamentTable


def _free(tournament, now=None) -> list[selectors.FreeTable]:
    return selectors.tables_free(tournament_id=tournament.pk, now=now or timezone.now())


def test_free_tables_are_the_held_ones_in_service_with_nothing_on_them_by_number(make_tournament, tables) -> None:
    tournament = make_tournament(players=2, table_count=4, start=True)  # one match: on the first table
    playing = Match.objects.get(tournament=tournament, state=Match.State.ON_TABLE)
    tables[2].out_of_service = True
    tables[2].save(update_fields=["out_of_service"])
    free = _free(tournament)
    assert [row.number for row in free] == [
        table.number for table in tables if table.pk not in (playing.on_table_id, tables[2].pk)
    ]
    holds = {row.table_id: row.hold_id for row in TournamentTable.objects.filter(tournament=tournament)}
    for row in free:
        stored = Reservation.objects.get(pk=holds[row.table_id])
        read = row.hold
        assert (read.pk, read.table_id, read.status, read.start_time, read.end_time) == (
            stored.pk,
            stored.table_id,
            stored.status,
            stored.start_time,
            stored.end_time,
        )
        assert read.duration == stored.duration  # a field not read loads when asked for


def test_no_table_is_free_outside_the_holds_hours_nor_for_another_tournament(make_tournament) -> None:
    tournament = make_tournament(players=2, table_count=2, start=True)
    assert len(_free(tournament)) == 1
    assert _free(tournament, now=tournament.ends_at + timedelta(minutes=1)) == []
    assert _free(tournament, now=tournament.starts_at - timedelta(minutes=1)) == []
    assert selectors.tables_free(tournament_id=tournament.pk + 1, now=timezone.now()) == []
