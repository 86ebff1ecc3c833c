"""Races on the real MariaDB: each thread has its own connection, like two app servers; two players, two
staff members and tables freeing at the same moment never double-advance or double-call."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from apps.core.exceptions import DomainError
from apps.ratings.models import GameResult
from apps.reservations import services as reservation_services
from apps.reservations.models import GameSession
from apps.tournaments import services
from apps.tournaments.models import Match, Tournament

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls: Any) -> list[str]:
    """Run the calls at the same moment, each on its own connection; "ok" or the refusal's code each."""
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> str:
        try:
            barrier.wait(timeout=10)
            call()
            return "ok"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_players_reporting_at_once_make_one_final_result_and_move_ratings_once(make_tournament) -> None:
    tournament = make_tournament(players=2, start=True, format="single_elimination")
    match = Match.objects.get(tournament=tournament)
    first, second = match.player_a.player, match.player_b.player
    outcomes = _race(
        lambda: services.match_report(
            tournament_id=tournament.pk, match_id=match.pk, player=first, my_score=5, opponent_score=2
        ),
        lambda: services.match_report(
            tournament_id=tournament.pk, match_id=match.pk, player=second, my_score=2, opponent_score=5
        ),
    )
    assert outcomes == ["ok", "ok"]
    result = GameResult.objects.get(session__tournament_match=match)
    assert result.status == GameResult.Status.FINAL and result.reports.count() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.games_played, second.games_played, first.games_won) == (1, 1, 1)
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.FINISHED and tournament.champion_id == first.pk


def test_two_staff_starting_at_once_make_one_draw(make_tournament, staff) -> None:
    tournament = make_tournament(players=6)
    outcomes = _race(
        lambda: services.tournament_start(tournament_id=tournament.pk, staff_user=staff.user),
        lambda: services.tournament_start(tournament_id=tournament.pk, staff_user=staff.user),
    )
    assert sorted(outcomes) == ["TOURNAMENT_STARTED", "ok"]
    assert Match.objects.filter(tournament=tournament).count() == 2 * 6 - 1


def test_tables_freeing_at_once_call_each_waiting_match_to_one_table_only(make_tournament, staff) -> None:
    tournament = make_tournament(players=8, table_count=3, start=True)
    playing = list(Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE))
    waiting = Match.objects.get(tournament=tournament, state=Match.State.READY)
    outcomes = _race(
        *[
            (
                lambda session_id: (
                    lambda: reservation_services.session_end_by_staff(session_id=session_id, staff_user=staff.user)
                )
            )(match.session_id)
            for match in playing
        ]
    )
    assert outcomes == ["ok"] * 3
    waiting.refresh_from_db()
    assert waiting.state == Match.State.ON_TABLE
    on_tables = list(Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE))
    assert [m.pk for m in on_tables] == [waiting.pk]
    assert GameSession.objects.filter(ended_at__isnull=True).count() == 1


def test_a_forfeit_and_reports_at_once_decide_the_match_once(make_tournament, staff) -> None:
    tournament = make_tournament(players=4, start=True, format="single_elimination")
    match = Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE).first()
    first, second = match.player_a.player, match.player_b.player
    outcomes = _race(
        lambda: services.match_forfeit(
            tournament_id=tournament.pk, match_id=match.pk, staff_user=staff.user, player_id=second.pk
        ),
        lambda: services.match_report(
            tournament_id=tournament.pk, match_id=match.pk, player=second, my_score=5, opponent_score=0
        ),
    )
    assert "ok" in outcomes
    match.refresh_from_db()
    final = Match.objects.get(tournament=tournament, key="W2-1")
    # Whichever came first decided it; the other was refused or came to a match that had its result.
    if match.forfeit:
        assert match.winner.player_id == first.pk
        assert first.pk in (final.player_a and final.player_a.player_id, final.player_b and final.player_b.player_id)
        assert outcomes.count("ok") == 1 and ("MATCH_DECIDED" in outcomes)
    else:
        assert match.state == Match.State.PLAYED  # a single report waits for the opponent
        assert outcomes.count("ok") == 1 and ("MATCH_NOT_PLAYABLE" in outcomes)
