"""Results as both players and the staff see them: both claims of a dispute kept and shown, points that
add up, privacy of claims that are not final, notifications, and the staff's settlement over REST."""

import re
from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Player
from apps.accounts.services import ws_ticket_issue
from apps.notifications.models import Notification
from apps.ratings.models import GameResult
from apps.ratings.services import result_dispute, result_report, results_finalize_due
from apps.reservations import services as reservation_services
from strikem.asgi import application
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import at, book_directly, finished_session
from tests.ratings.test_results import _report

pytestmark = pytest.mark.django_db


def _claim(body, player):
    return next(claim for claim in body["claims"] if claim["player"] == player.pk)


def test_a_dispute_keeps_both_claims_and_staff_see_them_side_by_side(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    staff = HallStaffFactory(hall=table.hall).user
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b, (5, 2))
    answer = _report(client_for(b.user), b, session, b, a, (5, 3)).json()
    # B's answer is B's own claim, not an echo of A's, and both claims are there.
    assert answer["status"] == "disputed"
    assert answer["winner_player"]["id"] == b.id and (answer["result_winner"], answer["result_loser"]) == (5, 3)
    assert _claim(answer, a)["winner_player"] == a.id and _claim(answer, b)["winner_player"] == b.id

    listed = client_for(staff).get(f"/api/poolhouses/{table.hall_id}/results/").json()
    assert [row["game_session"] for row in listed] == [session.pk]
    claims = {
        claim["username"]: (claim["winner_player"], claim["result_winner"], claim["result_loser"])
        for claim in listed[0]["claims"]
    }
    assert claims == {a.user.username: (a.id, 5, 2), b.user.username: (b.id, 5, 3)}

    admin = Client()
    admin.force_login(staff)
    page = admin.get(f"/admin/ratings/gameresult/{GameResult.objects.get().pk}/change/").content.decode()
    assert f"{a.user.username}: {a.user.username} won 5-2" in page
    assert f"{b.user.username}: {b.user.username} won 5-3" in page
    assert not re.search(r'name="result_winner"[^>]*value="5"', page), "the settle form is pre-filled with a claim"


def test_a_player_who_disputed_may_still_make_their_own_claim(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b, (5, 2))
    assert client_for(b.user).post(f"/api/game-session/{session.pk}/dispute/").status_code == 200
    again = client_for(b.user).post(f"/api/game-session/{session.pk}/dispute/")
    assert again.status_code == 409 and again.json()["error"] == "ALREADY_DISPUTED"
    # On second thoughts B agrees with A: the result is final after all.
    agreed = _report(client_for(b.user), b, session, a, b, (5, 2))
    assert agreed.status_code == 201 and agreed.json()["status"] == "final"


def test_the_hall_leaderboard_ranks_from_one(client_for, table):
    strong = PlayerFactory(rating=2400)  # never played at the hall: not on its board
    a, b, c = PlayerFactory(rating=1700), PlayerFactory(rating=1600), PlayerFactory(rating=1500)
    finished_session(table, a, b)
    finished_session(table, c, b)
    rows = client_for(strong.user).get("/api/leaderboard/", {"scope": "hall", "hall": table.hall_id}).json()
    assert [(row["id"], row["rank"]) for row in rows["results"]] == [(a.id, 1), (b.id, 2), (c.id, 3)]


def test_a_players_history_adds_up_to_their_rating_change(client_for, table):
    players = [PlayerFactory(rating=r) for r in (1500, 1623.4, 1377.6)]
    start = {p.pk: round(p.rating) for p in players}
    games = [(0, 1, "win"), (1, 2, "tie"), (2, 0, "win"), (0, 2, "tie"), (1, 0, "win"), (2, 1, "tie")]
    for first, second, outcome in games:
        x, y = players[first], players[second]
        session = finished_session(table, x, y)
        if outcome == "tie":
            _report(client_for(x.user), x, session, y, y, (3, 3))
            final = _report(client_for(y.user), y, session, x, x, (3, 3)).json()
            assert final["tie"] is True and final["points_given"] >= 0 and final["penalty_points"] >= 0
        else:
            _report(client_for(x.user), x, session, x, y)
            final = _report(client_for(y.user), y, session, x, y).json()
        assert final["status"] == "final"
    for player in players:
        player.refresh_from_db()
        history = client_for(player.user).get(f"/api/players/{player.id}/history/").json()
        earned = sum(
            row["points_given"] if row["winner_player"]["id"] == player.id else -row["penalty_points"]
            for row in history
        )
        assert earned == round(player.rating) - start[player.pk], player


def test_the_answer_that_makes_a_result_final_carries_the_new_points(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)
    final = _report(client_for(b.user), b, session, a, b).json()
    a.refresh_from_db()
    b.refresh_from_db()
    assert final["winner_player"]["total_points"] == round(a.rating) != 1500
    assert final["loser_player"]["total_points"] == round(b.rating)


def test_a_player_cannot_report_a_draw_against_themself(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    answer = _report(client_for(a.user), a, session, a, a, (2, 2))
    assert answer.status_code == 400 and answer.json()["error"] == "INVALID_RESULT"
    assert not GameResult.objects.exists()


def test_claims_that_are_not_final_show_only_to_the_players_and_the_halls_staff(client_for, table):
    a, b, stranger = PlayerFactory(), PlayerFactory(), PlayerFactory()
    staff_here, staff_elsewhere = HallStaffFactory(hall=table.hall).user, HallStaffFactory(hall=HallFactory()).user
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)

    def seen_by(user) -> list[int]:
        return [row["game_session"] for row in client_for(user).get(f"/api/players/{a.id}/history/").json()]

    assert seen_by(a.user) == seen_by(b.user) == seen_by(staff_here) == [session.pk]
    assert seen_by(stranger.user) == seen_by(staff_elsewhere) == []
    _report(client_for(b.user), b, session, a, b)
    assert seen_by(stranger.user) == [session.pk]  # final: public


def test_a_disputed_result_never_finalises_alone(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b)
    _report(client_for(b.user), b, session, b, a)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert results_finalize_due() == 0
    assert GameResult.objects.get().status == "disputed"
    admin = Client()
    admin.force_login(HallStaffFactory(hall=table.hall).user)
    assert "waits for the staff" in admin.get("/admin/ratings/gameresult/").content.decode()


def test_the_opponent_is_asked_to_confirm_a_report(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    session = finished_session(table, a, b)
    _report(client_for(a.user), a, session, a, b, (5, 2))
    note = Notification.objects.get(recipient=b, type=Notification.Type.RESULT_REPORTED)
    assert note.body == f"{a.user.username} reported: {a.user.username} won 5-2. Confirm or dispute."
    assert note.extra == str(session.pk) and note.sent_by == a
    assert not Notification.objects.filter(recipient=a, type=Notification.Type.RESULT_REPORTED).exists()


def test_a_game_session_shows_where_its_result_stands(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    running = book_directly(table, a, b, start=timezone.now() - timedelta(minutes=1))
    live = reservation_services.session_start(reservation_id=running.pk)

    def status(player, session):
        body = client_for(player.user).get(f"/api/game-session/{session.pk}/").json()
        return body["result_status"], body["reported_by_me"]

    assert status(a, live) == ("playing", False)
    session = finished_session(TableFactory(hall=table.hall, number=9), a, b)
    assert status(a, session) == ("awaiting_reports", False)
    _report(client_for(a.user), a, session, a, b)
    assert status(a, session) == ("awaiting_opponent", True)
    assert status(b, session) == ("awaiting_opponent", False)
    _report(client_for(b.user), b, session, b, a)
    assert status(b, session) == ("disputed", True)
    staff = HallStaffFactory(hall=table.hall).user
    client_for(staff).post(
        f"/api/poolhouses/{table.hall_id}/game-sessions/{session.pk}/result/",
        {"winner_player": a.id, "result_winner": 5, "result_loser": 4},
        format="json",
    )
    assert status(a, session) == ("final", True)


def test_staff_settle_over_rest_only_when_it_is_theirs_to_settle(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    staff = client_for(HallStaffFactory(hall=table.hall).user)
    session = finished_session(table, a, b)
    url = f"/api/poolhouses/{table.hall_id}/game-sessions/{session.pk}/result/"
    decision = {"winner_player": b.id, "result_winner": 5, "result_loser": 1}

    early = staff.post(url, decision, format="json")
    assert early.status_code == 409 and early.json()["error"] == "RESULT_AWAITING_REPORTS"
    _report(client_for(a.user), a, session, a, b)
    waiting = staff.post(url, decision, format="json")
    assert waiting.status_code == 409 and waiting.json()["error"] == "RESULT_AWAITING_OPPONENT"
    other_hall = client_for(HallStaffFactory(hall=HallFactory()).user).post(url, decision, format="json")
    assert other_hall.status_code == 403
    wrong_hall = client_for(HallStaffFactory(hall=HallFactory()).user)
    assert wrong_hall.post(url.replace(f"/{table.hall_id}/", "/999999/"), decision, format="json").status_code == 404
    assert staff.post(url, {"result_winner": 5, "result_loser": 1}, format="json").status_code == 400

    _report(client_for(b.user), b, session, b, a, (5, 1))
    settled = staff.post(url, decision, format="json")
    assert settled.status_code == 200 and settled.json()["status"] == "final"
    assert settled.json()["winner_player"]["id"] == b.id
    b.refresh_from_db()
    assert b.games_won == 1 and round(b.rating) == settled.json()["winner_player"]["total_points"]
    assert staff.post(url, decision, format="json").json()["error"] == "RESULT_ALREADY_FINAL"

    running = book_directly(TableFactory(hall=table.hall, number=8), a, b, start=timezone.now() - timedelta(minutes=1))
    live = reservation_services.session_start(reservation_id=running.pk)
    url = f"/api/poolhouses/{table.hall_id}/game-sessions/{live.pk}/result/"
    assert staff.post(url, decision, format="json").json()["error"] == "SESSION_NOT_FINISHED"


def test_nobody_reported_and_the_time_is_up_then_staff_may_enter_the_result(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    staff = client_for(HallStaffFactory(hall=table.hall).user)
    session = finished_session(table, a, b)
    with time_machine.travel(timezone.now() + timedelta(hours=13)):
        answer = staff.post(
            f"/api/poolhouses/{table.hall_id}/game-sessions/{session.pk}/result/",
            {"tie": True, "result_winner": 3, "result_loser": 3},
            format="json",
        )
    assert answer.status_code == 200 and answer.json()["tie"] is True


@pytest.mark.django_db(transaction=True)
async def test_the_halls_staff_hear_of_a_dispute_on_their_socket():
    hall = await database_sync_to_async(HallFactory)()
    table = await database_sync_to_async(TableFactory)(hall=hall, number=3)
    a, b = await database_sync_to_async(PlayerFactory)(), await database_sync_to_async(PlayerFactory)()
    staff = (await database_sync_to_async(HallStaffFactory)(hall=hall)).user
    session = await database_sync_to_async(finished_session)(table, a, b)
    ticket = await database_sync_to_async(ws_ticket_issue)(user=staff)
    socket = WebsocketCommunicator(application, f"/ws/base/?uuid={ticket}", headers=[(b"host", b"testserver")])
    assert (await socket.connect(timeout=5))[0]
    try:
        await database_sync_to_async(result_report)(
            session_id=session.pk, reporter=a, winner_id=a.pk, loser_id=b.pk, result_winner=5, result_loser=2
        )
        await database_sync_to_async(result_dispute)(session_id=session.pk, player=b)
        frame = await socket.receive_json_from(timeout=5)
        assert frame["protocol"] == "result_disputed" and frame["game_session_id"] == session.pk
        assert frame["changed_table_local_id"] == 3 and set(frame["usernames"]) == {a.user.username, b.user.username}
    finally:
        await socket.disconnect()


def test_an_early_end_frees_the_table_after_the_buffer_and_says_so(client_for, table):
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    staff = HallStaffFactory(hall=table.hall).user
    running = book_directly(table, a, b, start=timezone.now() - timedelta(minutes=10), seconds=7200)
    live = reservation_services.session_start(reservation_id=running.pk)
    reservation_services.session_end_by_staff(session_id=live.pk, staff_user=staff)
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    now = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    refused = client_for(c.user).post(url, {"start_time": now.isoformat(), "duration": 60}, format="json")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "ended at" in detail and "free from" in detail
    assert not re.search(r"(\d\d:\d\d)-\1", detail), detail
    later = now + timedelta(minutes=table.hall.cleaning_buffer_minutes + 1)
    assert (
        client_for(c.user).post(url, {"start_time": later.isoformat(), "duration": 60}, format="json").status_code
        == 201
    )


def test_staff_see_the_booked_and_the_real_times_of_a_session(client_for, table):
    a, b = PlayerFactory(), PlayerFactory()
    booked = book_directly(table, a, b, start=timezone.now() - timedelta(minutes=3), seconds=3600)
    reservation_services.session_start(reservation_id=booked.pk)  # three minutes late
    rows = client_for(HallStaffFactory(hall=table.hall).user).get(f"/api/poolhouses/{table.hall_id}/game-sessions/")
    row = rows.json()[0]
    assert row["booked_start_time"].startswith(booked.start_time.strftime("%Y-%m-%dT%H:%M"))
    assert 170 <= row["late_start_seconds"] <= 200
    assert row["started_at"] and row["ended_at"] is None
    assert Player.objects.count() == 2 and at(0)  # the world is what the test made
