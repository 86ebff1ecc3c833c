"""Favourite opponents: the players I have played most, from final results, with our record."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ratings.models import GameResult
from tests.factories import PlayerFactory
from tests.helpers import finished_session

pytestmark = pytest.mark.django_db


def _result(table, winner, loser, *, tie=False, status=GameResult.Status.FINAL):
    session = finished_session(table, winner, loser)
    return GameResult.objects.create(
        session=session,
        winner=winner,
        loser=loser,
        tie=tie,
        result_winner=5,
        result_loser=5 if tie else 3,
        status=status,
        final_after=timezone.now() + timedelta(hours=1),
    )


def test_most_played_first_with_our_record(client_for, player, table):
    rival, occasional, pending_only = PlayerFactory(), PlayerFactory(), PlayerFactory()
    _result(table, player, rival)
    _result(table, rival, player)
    _result(table, player, rival)
    _result(table, player, rival, tie=True)
    _result(table, occasional, player)
    _result(table, player, pending_only, status=GameResult.Status.PENDING)  # not final: not counted
    _result(table, rival, occasional)  # not mine
    rows = client_for(player.user).get("/api/favourite-opponents/").json()
    assert [row["player"]["id"] for row in rows] == [rival.id, occasional.id]
    assert {key: rows[0][key] for key in ("games", "wins", "losses", "ties")} == {
        "games": 4,
        "wins": 2,
        "losses": 1,
        "ties": 1,
    }
    assert {key: rows[1][key] for key in ("games", "wins", "losses", "ties")} == {
        "games": 1,
        "wins": 0,
        "losses": 1,
        "ties": 0,
    }
    assert rows[0]["player"]["user"]["email"] == ""


def test_limit_is_bounded(client_for, player, table):
    for _ in range(3):
        _result(table, player, PlayerFactory())
    client = client_for(player.user)
    assert len(client.get("/api/favourite-opponents/", {"limit": 2}).json()) == 2
    too_many = client.get("/api/favourite-opponents/", {"limit": 500})
    assert (too_many.status_code, too_many.json()["error"]) == (400, "VALIDATION_ERROR")
