"""Tournaments on the sockets, through strikem.asgi.application: the public watch (no login), the players'
own `match_called` on every socket, scores and racks over `/ws/base/`, bad frames; and the bracket page."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import ws_ticket_issue
from apps.ratings.models import GameResult
from apps.tournaments import services
from apps.tournaments.models import Match
from strikem.asgi import application
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(path: str, user=None) -> WebsocketCommunicator:
    if user is not None:
        ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
        path = f"{path}?uuid={ticket}"
    communicator = WebsocketCommunicator(application, path, headers=[(b"host", b"testserver")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _frame(communicator, protocol: str, timeout: float = 5) -> dict:
    """The next frame of that protocol (or the error frame when `protocol` is "error")."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("protocol") == protocol or frame.get("type") == protocol:
            return frame


@database_sync_to_async
def _on_table(tournament) -> list[Match]:
    return list(
        Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE)
        .select_related("player_a__player__user", "player_b__player__user", "on_table")
        .order_by("id")
    )


async def test_an_anonymous_screen_watches_the_bracket_and_follows_scores_and_results(make_tournament) -> None:
    tournament = await database_sync_to_async(make_tournament)(players=4, start=True, table_count=2)
    match = (await _on_table(tournament))[0]
    first, second = match.player_a.player, match.player_b.player
    screen = await _open("/ws/public/")
    player = await _open("/ws/base/", first.user)
    try:
        await screen.send_json_to({"action": "tournament", "protocol": "watch", "tournament_id": tournament.pk})
        snapshot = await _frame(screen, "tournament_snapshot")
        assert snapshot["tournament"]["id"] == tournament.pk and len(snapshot["tournament"]["matches"]) == 7
        version = snapshot["tournament"]["version"]
        frame = {"action": "tournament", "protocol": "rack", "tournament_id": tournament.pk, "match_id": match.pk}
        await player.send_json_to({**frame, "player": first.pk})
        update = await _frame(screen, "tournament_update")
        assert update["event"] == "score" and update["tournament"] is None and update["version"] > version
        assert (update["match"]["id"], update["match"]["score_a"], update["match"]["score_b"]) == (match.pk, 1, 0)
        report = {**frame, "protocol": "report", "my_score": 5, "opponent_score": 2}
        await player.send_json_to(report)
        reported = await _frame(screen, "tournament_update")
        assert reported["event"] == "called" or reported["event"] == "reported"
        opponent = await _open("/ws/base/", second.user)
        try:
            await opponent.send_json_to({**report, "my_score": 2, "opponent_score": 5})
            while True:
                result = await _frame(screen, "tournament_update")
                if result["event"] == "result":
                    break
            card = next(c for c in result["tournament"]["matches"] if c["id"] == match.pk)
            assert card["state"] == "done" and card["winner_player_id"] == first.pk
        finally:
            await opponent.disconnect()
        result_row = await database_sync_to_async(GameResult.objects.get)(session_id=match.session_id)
        assert result_row.status == GameResult.Status.FINAL
    finally:
        await screen.disconnect()
        await player.disconnect()


async def test_a_players_match_called_reaches_all_their_sockets(make_tournament, staff) -> None:
    tournament = await database_sync_to_async(make_tournament)(players=2)
    entries = await database_sync_to_async(lambda: list(tournament.entries.select_related("player__user")))()
    player = entries[0].player
    phone, laptop = await _open("/ws/base/", player.user), await _open("/ws/base/", player.user)
    try:
        await database_sync_to_async(services.tournament_start)(tournament_id=tournament.pk, staff_user=staff.user)
        for socket in (phone, laptop):
            called = await _frame(socket, "match_called")
            assert (
                called["tournament_id"] == tournament.pk
                and called["opponent_username"] == entries[1].player.user.username
            )
            assert called["table_number"] in (1, 2) and called["race_to"] == 5
            assert 0 < called["win_probability"] < 1
    finally:
        await phone.disconnect()
        await laptop.disconnect()


async def test_a_player_checks_in_over_the_socket(make_tournament) -> None:
    tournament = await database_sync_to_async(make_tournament)(players=0, starts_in=timedelta(hours=1))
    entry = await database_sync_to_async(PlayerFactory)()
    await database_sync_to_async(services.tournament_register)(tournament_id=tournament.pk, player=entry)
    socket = await _open("/ws/base/", entry.user)
    try:
        await socket.send_json_to({"action": "tournament", "protocol": "watch", "tournament_id": tournament.pk})
        await _frame(socket, "tournament_snapshot")
        await socket.send_json_to({"action": "tournament", "protocol": "check_in", "tournament_id": tournament.pk})
        update = await _frame(socket, "tournament_update")
        assert update["event"] == "checked_in"
        assert [e["checked_in"] for e in update["tournament"]["entries"]] == [True]
    finally:
        await socket.disconnect()


async def test_bad_tournament_frames_get_error_frames_and_change_nothing(make_tournament) -> None:
    tournament = await database_sync_to_async(make_tournament)(players=4, start=True)
    match = (await _on_table(tournament))[0]
    first = match.player_a.player
    outsider = (await _on_table(tournament))[1].player_a.player
    socket = await _open("/ws/base/", first.user)
    stranger = await _open("/ws/base/", outsider.user)
    screen = await _open("/ws/public/")
    try:
        cases = [
            (socket, {"action": "tournament", "protocol": "watch", "tournament_id": 999999}, "TOURNAMENT_NOT_FOUND"),
            (socket, {"action": "tournament", "protocol": "watch", "tournament_id": "x"}, "INVALID_FRAME"),
            (socket, {"action": "tournament", "protocol": "watch"}, "UNKNOWN_ACTION"),
            (
                socket,
                {
                    "action": "tournament",
                    "protocol": "report",
                    "tournament_id": tournament.pk,
                    "match_id": match.pk,
                    "my_score": 5,
                    "opponent_score": 7,
                },
                "SCORE_DOES_NOT_FIT_RACE",
            ),
            (
                socket,
                {
                    "action": "tournament",
                    "protocol": "report",
                    "tournament_id": tournament.pk,
                    "match_id": match.pk,
                    "my_score": "five",
                    "opponent_score": 2,
                },
                "INVALID_FRAME",
            ),
            (
                stranger,
                {
                    "action": "tournament",
                    "protocol": "report",
                    "tournament_id": tournament.pk,
                    "match_id": match.pk,
                    "my_score": 5,
                    "opponent_score": 2,
                },
                "NOT_YOUR_MATCH",
            ),
            # The public socket only watches.
            (
                screen,
                {
                    "action": "tournament",
                    "protocol": "report",
                    "tournament_id": tournament.pk,
                    "match_id": match.pk,
                    "my_score": 5,
                    "opponent_score": 2,
                },
                "UNKNOWN_ACTION",
            ),
        ]
        for communicator, frame, code in cases:
            await communicator.send_json_to(frame)
            error = await _frame(communicator, "error")
            assert error["error"] == code, (frame, error)
        refreshed = await database_sync_to_async(Match.objects.get)(pk=match.pk)
        assert refreshed.state == Match.State.ON_TABLE and (refreshed.score_a, refreshed.score_b) == (0, 0)
    finally:
        for communicator in (socket, stranger, screen):
            await communicator.disconnect()


def test_the_bracket_page_is_public_and_server_rendered(make_tournament, client) -> None:
    tournament = make_tournament(players=5, start=True, table_count=2)
    page = client.get(f"/tournaments/{tournament.pk}/bracket/")
    assert page.status_code == 200
    html = page.content.decode()
    playing = Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE).select_related(
        "player_a__player__user"
    )
    assert tournament.name in html and "On the tables" in html and "Up next" in html
    for match in playing:
        assert match.player_a.player.user.username in html and f"Table {match.on_table.number}" in html
    assert "/ws/public/" in html and 'protocol: "watch"' in html
    main = client.get(f"/tournaments/{tournament.pk}/bracket/?part=main")
    assert main.status_code == 200 and main.content.decode().startswith("<main")
    assert client.get("/tournaments/999999/bracket/").status_code == 404


def test_the_staff_board_links_the_bracket_and_names_the_held_tables(make_tournament, client, staff) -> None:
    tournament = make_tournament(players=2, table_count=2)
    client.force_login(staff.user)
    board = client.get(f"/staff/halls/{tournament.hall_id}/board/").content.decode()
    assert f"/tournaments/{tournament.pk}/bracket" in board and "holds tables 1, 2" in board


async def test_the_board_shows_held_tables_as_the_tournaments_until_it_ends(make_tournament, hall, client) -> None:
    """Between its games a tournament's table is the tournament's on the board (REST and socket), not free;
    the final's result gives the tables back: the board hears it and a booking could take them again."""
    tournament = await database_sync_to_async(make_tournament)(
        players=2, start=True, table_count=3, format="single_elimination"
    )
    board = await _open("/ws/base/", (await database_sync_to_async(PlayerFactory)()).user)
    try:
        await board.send_json_to({"action": "poolhouse", "protocol": "initial", "poolhouseName": hall.slug})
        snapshot = await _frame(board, "board_snapshot")
        rows = {row["table_id"]: row for row in snapshot["tables"]}
        (match,) = await _on_table(tournament)
        playing = match.on_table.number
        assert rows[playing]["state"] == "busy" and rows[playing]["held_for"]["id"] == tournament.pk
        idle = sorted(number for number in (1, 2, 3) if number != playing)
        for number in idle:
            assert (rows[number]["state"], rows[number]["free"]) == ("held", False)
            assert rows[number]["held_for"]["name"] == tournament.name
        assert (rows[4]["state"], rows[4]["held_for"]) == ("free", None)  # not the tournament's
        listed = await database_sync_to_async(client.get)(f"/api/poolhouses/{hall.pk}/tables/")
        assert {row["table_id"]: row["state"] for row in listed.json()}[idle[0]] == "held"

        first, second = match.player_a.player, match.player_b.player
        for player, mine, theirs in ((first, 5, 2), (second, 2, 5)):
            await database_sync_to_async(services.match_report)(
                tournament_id=tournament.pk, match_id=match.pk, player=player, my_score=mine, opponent_score=theirs
            )
        released = set()
        while len(released) < 3:
            frame = await _frame(board, "table_hold")
            assert frame["held_for"] is None
            released.add(frame["changed_table_local_id"])
        assert released == {1, 2, 3}
        listed = await database_sync_to_async(client.get)(f"/api/poolhouses/{hall.pk}/tables/")
        assert {row["table_id"]: (row["state"], row["free"]) for row in listed.json()} == {
            number: ("free", True) for number in (1, 2, 3, 4)
        }
    finally:
        await board.disconnect()
