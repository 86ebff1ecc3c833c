from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Player
from apps.notifications.models import Notification
from apps.ratings.glicko import Rating, rate_game
from apps.ratings.models import GameResult
from apps.ratings.services import results_finalize_due
from apps.reservations import services as reservation_services
from tests.factories import HallStaffFactory, PlayerFactory
from tests.helpers import book_directly, finished_session

pytestmark = pytest.mark.django_db


def _report(client, me, session, winner, loser, score=(5, 3)):
    return client.post(
        f"/api/players/{me.id}/history/",
        {
            "game_session": session.pk,
            "winner_player": winner.id,
            "loser_player": loser.id,
            "result_winner": score[0],
            "result_loser": score[1],
        },
        format="json",
    )


def test_glicko2_matches_glickmans_published_example():
    # Glickman's worked example: 1500/200 beats 1400/30, loses to 1550/100 and 1700/300 in one period.
    import glicko2

    player = glicko2.Player(rating=1500, rd=200, vol=0.06)
    player.update_player([1400, 1550, 1700], [30, 100, 300], [1, 0, 0])
    assert round(player.rating, 1) == 1464.1
    assert round(player.rd, 1) == 151.5


def test_one_game_between_two_new_players_moves_them_by_known_amounts():
    winner, loser = rate_game(Rating(1500, 350, 0.06), Rating(1500, 350, 0.06), 1.0)
    assert round(winner.rating, 2) == 1662.31 and round(loser.rating, 2) == 1337.69
    assert round(winner.deviation, 2) == round(loser.deviation, 2) == 290.32


def test_two_agreeing_reports_make_it_final_and_move_ratings_once(client_for, table):
    a = PlayerFactory(rating=1500, rating_deviation=350)
    b = PlayerFactory(rating=1500, rating_deviation=350)
    session = finished_session(table, a, b)
    first = _report(client_for(a.user), a, session, a, b)
    assert first.status_code == 201 and first.json()["status"] == "pending"
    a.refresh_from_db()
    assert a.rating == 1500  # one report moves nothing
    second = _report(client_for(b.user), b, session, a, b)
    assert second.status_code == 201
    body = second.json()
    assert body["status"] == "final"
    assert body["points_given"] == 162 and body["penalty_points"] == 162
    assert body["winner_player"]["id"] == a.id and body["result_winner"] == 5
    a.refresh_from_db()
    b.refresh_from_db()
    assert round(a.rating, 2) == 1662.31 and round(b.rating, 2) == 1337.69
    assert (a.games_played, a.games_won, a.opponents_met) == (1, 1, 1)
    assert (b.games_played, b.games_won, b.opponents_met) == (1, 0, 1)
    again = _report(client_for(a.user), a, session, a, b)
    assert again.status_code == 409 and again.json()["error"] == "RESULT_ALREADY_FINAL"
    history = client_for(b.user).get(f"/api/players/{a.id}/history/").json()
    assert len(history) == 1 and history[0]["poolhouse"] == table.hall.title


def test_tie_as_the_web_client_sends_it(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    # The client reports a tie as winner = loser = the opponent's id.
    assert _report(client_for(a.user), a, session, b, b, (2, 2)).status_code == 201
    final = _report(client_for(b.user), b, session, a, a, (2, 2)).json()
    assert final["status"] == "final" and final["tie"] is True
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.rating == pytest.approx(1500) and b.rating == pytest.approx(1500)
    assert a.games_won == b.games_won == 0 and a.games_played == b.games_played == 1


def test_replaying_a_tie_gives_no_free_points(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, b, b)
    for _ in range(3):
        assert _report(client_for(a.user), a, session, b, b).status_code == 409
    assert GameResult.objects.get().reports.count() == 1


def test_disagreeing_reports_go_to_staff_who_settle_in_the_admin(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)
    disputed = _report(client_for(b.user), b, session, b, a).json()
    assert disputed["status"] == "disputed"
    a.refresh_from_db()
    assert a.games_played == 0
    assert Notification.objects.filter(type=Notification.Type.RESULT_DISPUTED).count() == 2

    result = GameResult.objects.get()
    outsider = Client()
    outsider.force_login(HallStaffFactory().user)
    assert outsider.get(f"/admin/ratings/gameresult/{result.pk}/change/").status_code == 302

    staff = Client()
    staff.force_login(HallStaffFactory(hall=table.hall).user)
    response = staff.post(
        f"/admin/ratings/gameresult/{result.pk}/change/",
        {
            "winner": b.pk,
            "tie": "",
            "result_winner": 4,
            "result_loser": 1,
            "reports-TOTAL_FORMS": 2,
            "reports-INITIAL_FORMS": 2,
            "reports-MIN_NUM_FORMS": 0,
            "reports-MAX_NUM_FORMS": 1000,
            "reports-0-id": result.reports.all()[0].pk,
            "reports-0-result": result.pk,
            "reports-1-id": result.reports.all()[1].pk,
            "reports-1-result": result.pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    result.refresh_from_db()
    assert result.status == "final" and result.winner_id == b.id and result.settled_by is not None
    b.refresh_from_db()
    assert b.games_won == 1


def test_a_single_report_becomes_final_after_the_time_limit(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)
    assert results_finalize_due() == 0
    GameResult.objects.update(final_after=timezone.now() - timedelta(seconds=1))
    assert results_finalize_due() == 1
    assert GameResult.objects.get().status == "final"
    assert results_finalize_due() == 0
    a.refresh_from_db()
    assert a.games_won == 1


def test_the_opponent_can_dispute_a_single_report(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)
    response = client_for(b.user).post(f"/api/game-session/{session.pk}/dispute/")
    assert response.status_code == 200 and response.json()["status"] == "disputed"
    GameResult.objects.update(final_after=timezone.now() - timedelta(seconds=1))
    assert results_finalize_due() == 0
    assert client_for(b.user).post(f"/api/game-session/{session.pk}/dispute/").status_code == 409


def test_nobody_reports_a_game_they_did_not_play(client_for, table):
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    response = _report(client_for(c.user), c, session, c, a)
    assert response.status_code == 404 and response.json()["error"] == "SESSION_NOT_FOUND"
    on_someone_else = _report(client_for(c.user), a, session, a, b)
    assert on_someone_else.status_code == 403
    wrong_players = _report(client_for(a.user), a, session, a, c)
    assert wrong_players.status_code == 400 and wrong_players.json()["error"] == "INVALID_RESULT"


def test_no_report_before_the_game_is_over(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    reservation = book_directly(table, a, b, start=timezone.now() - timedelta(minutes=1))
    session = reservation_services.session_start(reservation_id=reservation.pk)
    response = _report(client_for(a.user), a, session, a, b)
    assert response.status_code == 409 and response.json()["error"] == "SESSION_NOT_FINISHED"


@pytest.mark.parametrize("score", [(1, 5), (-1, 0), (100, 0)])
def test_impossible_scores_are_refused(client_for, table, score):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    response = _report(client_for(a.user), a, session, a, b, score)
    assert response.status_code == 400
    assert not GameResult.objects.exists()


def test_opponents_met_counts_distinct_opponents(client_for, table):
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    for opponent in (b, b, c):
        session = finished_session(table, a, opponent)
        _report(client_for(a.user), a, session, a, opponent)
        _report(client_for(opponent.user), opponent, session, a, opponent)
    a.refresh_from_db()
    assert (a.games_played, a.games_won, a.opponents_met) == (3, 3, 2)
    b.refresh_from_db()
    assert (b.games_played, b.opponents_met) == (2, 1)


def test_leaderboards_global_hall_and_around_me(client_for, table):
    players = [PlayerFactory(rating=1000 + 10 * i) for i in range(15)]
    me = players[7]
    finished_session(table, players[0], players[1])
    client = client_for(me.user)
    top = client.get("/api/leaderboard/").json()
    assert top["results"][0]["id"] == players[-1].id and top["results"][0]["rank"] == 1
    hall = client.get("/api/leaderboard/", {"scope": "hall", "hall": table.hall_id}).json()
    assert [row["id"] for row in hall["results"]] == [players[1].id, players[0].id]
    around = client.get("/api/leaderboard/", {"scope": "around"}).json()["results"]
    ids = [row["id"] for row in around]
    assert ids == [p.id for p in reversed(players[2:13])]
    mine = next(row for row in around if row["id"] == me.id)
    assert mine["rank"] == 8
    assert Player.objects.filter(rating__gt=me.rating).count() + 1 == mine["rank"]
    assert client.get("/api/leaderboard/", {"scope": "hall"}).status_code == 400


def test_staff_statistics_top_players_and_tables(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    for _ in range(2):
        finished_session(table, a, b)
    staff = HallStaffFactory(hall=table.hall).user
    players = client_for(staff).get("/api/top-player/", {"days": 7}).json()
    assert {row["player"]["id"] for row in players} == {a.id, b.id}
    assert all(row["games"] == 2 for row in players)
    tables = client_for(staff).get("/api/top-table/?days=7").json()
    assert tables[0]["table_id"] == table.number and tables[0]["games"] == 2
    assert client_for(a.user).get("/api/top-table/").status_code == 400  # a player runs no hall
