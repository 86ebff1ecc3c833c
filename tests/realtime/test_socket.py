"""The socket through strikem.asgi.application (origin check, routing, auth) on the Redis channel layer."""

import asyncio
import json
from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import Player
from apps.accounts.services import ws_ticket_issue
from apps.matchmaking.models import Matchup
from apps.reservations import services as sessions
from strikem.asgi import application
from tests.factories import HallFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(user=None, *, ticket=None, subprotocols=None, origin=None):
    if user is not None and ticket is None and subprotocols is None:
        ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
    path = f"/ws/base/?uuid={ticket}" if ticket else "/ws/base/"
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
    connected, detail = await communicator.connect(timeout=5)
    return communicator, connected, detail


def _rest_player(viewer, player_id: int) -> dict:
    """A player as REST shows it to `viewer`, asked on the host the test sockets use."""
    client = APIClient(SERVER_NAME="testserver")
    client.force_authenticate(viewer)
    return client.get(f"/api/players/{player_id}/").json()


async def _closed_with(communicator) -> int:
    """The close code the server sent; then the client side goes away too, as a real client's does, so
    no consumer is left waiting on the channel layer when the test's event loop closes."""
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    await communicator.disconnect()
    return output.get("code")


async def _frame(communicator, protocol=None, timeout=5):
    """The next frame, skipping stored-notification pushes unless they are what we wait for."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if protocol is None or frame.get("protocol") == protocol or frame.get("type") == protocol:
            return frame


async def _eventually(check, seconds=5.0) -> bool:
    """Poll a database condition that a socket frame brings about asynchronously."""
    for _ in range(int(seconds / 0.05)):
        if await database_sync_to_async(check)():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def players(db):
    return PlayerFactory(), PlayerFactory(), PlayerFactory()


async def test_no_ticket_is_closed_with_4401_and_leaves_nothing_running():
    communicator, connected, _ = await _open()
    assert connected
    output = await communicator.receive_output(timeout=5)
    assert (output["type"], output.get("code")) == ("websocket.close", 4401)
    # Refused before a consumer takes a channel of the channel layer: the application is over before the
    # client even goes away (a consumer waiting on its channel lingered, after the client had gone, until
    # the layer's blocking pop timed out).
    await asyncio.wait_for(asyncio.shield(communicator.future), timeout=2)
    assert communicator.future.exception() is None


async def test_a_socket_that_cannot_reach_redis_for_its_ticket_is_told_to_try_again_later(monkeypatch):
    """The ticket lives in Redis: while Redis is unreachable the socket is closed with 4503 (try again
    later), not dropped with an internal error, and nothing is left running."""
    import redis

    from apps.realtime import consumers

    async def unreachable(scope):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(consumers, "socket_user_id", unreachable)
    communicator, connected, _ = await _open(ticket="a-ticket")
    assert connected
    output = await communicator.receive_output(timeout=5)
    assert (output["type"], output.get("code")) == ("websocket.close", 4503)
    await asyncio.wait_for(asyncio.shield(communicator.future), timeout=2)
    assert communicator.future.exception() is None


async def test_a_ticket_works_once(players):
    me = players[0]
    ticket = await database_sync_to_async(ws_ticket_issue)(user=me.user)
    first, connected, _ = await _open(ticket=ticket)
    assert connected
    await first.send_json_to({"action": "base", "protocol": "initial"})
    assert await first.receive_nothing(timeout=0.3)
    await first.disconnect()
    second, connected, _ = await _open(ticket=ticket)
    assert await _closed_with(second) == 4401


async def test_an_expired_ticket_is_refused(players, settings):
    settings.WS_TICKET_TTL_SECONDS = 1
    ticket = await database_sync_to_async(ws_ticket_issue)(user=players[0].user)
    await asyncio.sleep(1.3)
    communicator, _, _ = await _open(ticket=ticket)
    assert await _closed_with(communicator) == 4401


async def test_a_foreign_origin_is_closed_with_4403_and_the_client_origin_is_welcome(players):
    bad, _, _ = await _open(players[0].user, origin="https://evil.example.com")
    assert await _closed_with(bad) == 4403
    good, connected, _ = await _open(players[0].user, origin="http://localhost:3000")
    assert connected
    await good.send_json_to({"action": "base", "protocol": "initial"})
    assert await good.receive_nothing(timeout=0.3)
    await good.disconnect()


async def test_access_token_in_the_subprotocol_header(players):
    token = str(AccessToken.for_user(players[0].user))
    communicator, connected, subprotocol = await _open(subprotocols=["jwt", token])
    assert connected and subprotocol == "jwt"
    await communicator.send_json_to({"action": "matchmake", "protocol": "initial"})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
    refused, _, _ = await _open(subprotocols=["jwt", "not-a-token"])
    assert await _closed_with(refused) == 4401


async def test_lobby_sees_the_flag_toggle_and_usernames_in_frames_are_ignored(players):
    me, other, _ = players
    mine, _, _ = await _open(me.user)
    theirs, _, _ = await _open(other.user)
    await theirs.send_json_to({"action": "matchmake", "protocol": "initial"})
    await asyncio.sleep(0.1)
    # Claims to be `other`: ignored, it is my flag that toggles.
    await mine.send_json_to({"action": "matchmake", "protocol": "control_user", "username": other.user.username})
    added = await _frame(theirs, "add")
    assert added["username"] == me.user.username
    assert (await database_sync_to_async(Player.objects.get)(pk=me.pk)).inviting_to_play is True
    assert (await database_sync_to_async(Player.objects.get)(pk=other.pk)).inviting_to_play is False
    await mine.send_json_to({"action": "matchmake", "protocol": "control_user"})
    assert (await _frame(theirs, "delete"))["username"] == me.user.username
    # On the chat page (matchup initial) the lobby no longer reaches this socket.
    await theirs.send_json_to({"action": "matchup", "protocol": "initial"})
    await asyncio.sleep(0.1)
    await mine.send_json_to({"action": "matchmake", "protocol": "control_user"})
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


async def test_invite_accept_and_chat_between_two_sockets(players):
    inviter, invitee, stranger = players
    a, _, _ = await _open(inviter.user)
    b, _, _ = await _open(invitee.user)
    c, _, _ = await _open(stranger.user)
    await a.send_json_to(
        {"action": "matchmake", "matchmaker_username": invitee.user.username, "username": stranger.user.username}
    )
    # The frame and the stored notification travel as one message; the socket sends them in that order.
    invited = await b.receive_json_from(timeout=5)
    assert invited["protocol"] == "invited" and (await b.receive_json_from(timeout=5))["protocol"] == "notification"
    assert invited["inviteSenderUsername"] == inviter.user.username
    # The same picture URL REST gives for this player (the placeholder, absolute), never null.
    rest = await database_sync_to_async(_rest_player)(invitee.user, inviter.pk)
    assert invited["inviter_profile_image"] == rest["profile_image"] and rest["profile_image"].startswith("http")
    assert await c.receive_nothing(timeout=0.2)

    await b.send_json_to(
        {
            "action": "matchmake",
            "invite_sender_username": inviter.user.username,
            "invite_response": "accept",
            "username": stranger.user.username,
        }
    )
    to_accepter = await _frame(b, "handling_invite_response")
    to_inviter = await _frame(a, "handling_invite_response")
    assert to_accepter["invite_response"] == to_inviter["invite_response"] == "ACCEPTED"
    assert to_accepter["sub_protocol"] == "accepter" and to_inviter["sub_protocol"] != "accepter"
    matchup_id = to_inviter["matchup_id"]
    assert to_inviter["accepterUsername"] == invitee.user.username

    await a.send_json_to(
        {
            "action": "matchup",
            "message": "Table 3 at eight?",
            "matchup_id": matchup_id,
            "opponent_username": stranger.user.username,
            "username": stranger.user.username,
        }
    )
    message = await _frame(b, "handleMessage")
    assert message["message"] == "Table 3 at eight?"
    assert message["username"] == inviter.user.username and message["sender_player_id"] == inviter.pk
    assert len(message["getFormattedTime"]) == 5 and message["sub_protocol"] == "last_message_outdated"
    assert message["update_message_count"] is True

    # A stranger can neither write into nor read the chat.
    await c.send_json_to({"action": "matchup", "message": "hi", "matchup_id": matchup_id})
    assert (await _frame(c, "error"))["error"] == "MATCHUP_NOT_FOUND"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {AccessToken.for_user(stranger.user)}")
    assert (await database_sync_to_async(client.get)(f"/api/matchups/{matchup_id}/chat/")).status_code == 404
    for communicator in (a, b, c):
        await communicator.disconnect()


async def test_viewing_a_chat_reads_its_messages_as_they_arrive(players):
    inviter, invitee, _ = players
    matchup = await database_sync_to_async(Matchup.objects.create)(player_inviting=inviter, player_accepting=invitee)
    a, _, _ = await _open(inviter.user)
    b, _, _ = await _open(invitee.user)
    await b.send_json_to({"action": "change_matchup", "matchup_id": str(matchup.pk)})
    await asyncio.sleep(0.2)
    await a.send_json_to({"action": "matchup", "message": "ready?", "matchup_id": str(matchup.pk)})
    frame = await _frame(b, "handleMessage")
    assert frame["update_message_count"] is False
    await asyncio.sleep(0.2)
    refreshed = await database_sync_to_async(Matchup.objects.get)(pk=matchup.pk)
    assert refreshed.accepting_read_at is not None and refreshed.accepting_read_at >= refreshed.last_message_at
    await a.disconnect()
    await b.disconnect()


async def test_answering_an_invitation_that_does_not_exist_is_an_error_frame(players):
    me, other, _ = players
    communicator, _, _ = await _open(me.user)
    await communicator.send_json_to(
        {"action": "matchmake", "invite_sender_username": other.user.username, "invite_response": "accept"}
    )
    assert (await _frame(communicator, "error"))["error"] == "INVITATION_NOT_FOUND"
    await communicator.disconnect()


async def test_deny_tells_the_inviter_and_hides_the_denier_for_the_cooldown(players):
    inviter, invitee, _ = players
    await database_sync_to_async(Player.objects.filter(pk=invitee.pk).update)(inviting_to_play=True)
    a, _, _ = await _open(inviter.user)
    b, _, _ = await _open(invitee.user)
    await a.send_json_to({"action": "matchmake", "matchmaker_username": invitee.user.username})
    await _frame(b, "invited")
    await b.send_json_to(
        {"action": "matchmake", "invite_sender_username": inviter.user.username, "invite_response": "deny"}
    )
    denied = await _frame(a, "handling_invite_response")
    assert denied["invite_response"] == "DENIED" and denied["accepterUsername"] == invitee.user.username

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {AccessToken.for_user(inviter.user)}")
    listed = await database_sync_to_async(client.get)("/api/filter-ratings/")
    assert invitee.pk not in [row["id"] for row in listed.json()]
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.DENIAL_COOLDOWN_SECONDS + 1)):
        listed = await database_sync_to_async(client.get)("/api/filter-ratings/")
    assert invitee.pk in [row["id"] for row in listed.json()]
    await a.disconnect()
    await b.disconnect()


async def test_board_snapshot_then_busy_and_free_pushes(players):
    booker, opponent, watcher = players
    hall = await database_sync_to_async(HallFactory)()
    table = await database_sync_to_async(TableFactory)(hall=hall, number=4)
    board, _, _ = await _open(watcher.user)
    player_socket, _, _ = await _open(booker.user)
    await board.send_json_to({"action": "poolhouse", "protocol": "initial", "poolhouseName": hall.slug})
    snapshot = await _frame(board, "board_snapshot")
    assert [row["table_id"] for row in snapshot["tables"]] == [4]
    assert snapshot["tables"][0]["free"] is True

    reservation = await database_sync_to_async(book_directly)(
        table, booker, opponent, start=timezone.now() - timedelta(seconds=1), seconds=3600
    )
    session = await database_sync_to_async(sessions.session_start)(reservation_id=reservation.pk)
    busy = await _frame(board, "now_busy")
    assert busy["changed_table_id"] == table.pk and busy["changed_table_local_id"] == 4
    assert busy["game_session_id"] == session.pk
    assert busy["player_reserving_username"] == booker.user.username
    assert busy["other_player_username"] == opponent.user.username

    await database_sync_to_async(sessions.session_finish)(session_id=session.pk, early=True)
    free = await _frame(board, "now_free")
    assert free["game_session_id"] == session.pk
    finish = await _frame(player_socket, "finish session")
    assert finish["game_session_id"] == session.pk

    await board.send_json_to({"action": "poolhouse", "protocol": "initial", "poolhouseName": "no-such-hall"})
    assert (await _frame(board, "error"))["error"] == "HALL_NOT_FOUND"
    await board.disconnect()
    await player_socket.disconnect()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "MALFORMED_FRAME"),
        ("[1, 2]", "MALFORMED_FRAME"),
        (json.dumps({"action": "dance"}), "UNKNOWN_ACTION"),
        (json.dumps({"action": "matchmake", "matchmaker_username": 42}), "PLAYER_NOT_FOUND"),
        (
            json.dumps({"action": "matchmake", "invite_sender_username": "x", "invite_response": "maybe"}),
            "INVALID_FRAME",
        ),
        (json.dumps({"action": "matchup", "message": ["x"], "matchup_id": "y"}), "INVALID_MESSAGE"),
        (json.dumps({"action": "matchup", "message": "hi", "matchup_id": "not-a-uuid"}), "MATCHUP_NOT_FOUND"),
        (json.dumps({"action": "change_matchup", "matchup_id": 12}), "MATCHUP_NOT_FOUND"),
        (json.dumps({"action": "poolhouse", "protocol": "initial"}), "HALL_NOT_FOUND"),
        ("x" * 20000, "FRAME_TOO_LARGE"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_usable(players, raw, code):
    communicator, _, _ = await _open(players[0].user)
    await communicator.send_to(text_data=raw)
    error = await _frame(communicator, "error")
    assert error["error"] == code and error["detail"]
    await communicator.send_json_to({"action": "matchmake", "protocol": "control_user"})
    assert await _eventually(lambda: Player.objects.get(pk=players[0].pk).inviting_to_play)
    await communicator.disconnect()


async def test_presence_online_while_connected_and_last_socket_close_clears_the_lobby_flag(players):
    me, viewer, _ = players
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {AccessToken.for_user(viewer.user)}")

    async def online() -> bool:
        return (await database_sync_to_async(client.get)(f"/api/players/{me.pk}/")).json()["online"]

    assert not await online()
    first, _, _ = await _open(me.user)
    second, _, _ = await _open(me.user)
    await first.send_json_to({"action": "matchmake", "protocol": "control_user"})
    await asyncio.sleep(0.2)
    assert await online()
    await first.disconnect()
    assert await online()  # the second socket still counts
    assert (await database_sync_to_async(Player.objects.get)(pk=me.pk)).inviting_to_play
    await second.disconnect()
    assert not await online()
    gone = await database_sync_to_async(Player.objects.get)(pk=me.pk)
    assert gone.inviting_to_play is False and gone.last_seen is not None


async def test_asking_for_automatic_pairing_over_the_socket(players):
    me = players[0]
    communicator, _, _ = await _open(me.user)
    await communicator.send_json_to({"action": "matchmake", "protocol": "auto_pair", "enabled": True})
    assert await _eventually(lambda: Player.objects.filter(pk=me.pk, auto_pair=True, inviting_to_play=True).exists())
    await communicator.send_json_to({"action": "matchmake", "protocol": "auto_pair", "enabled": "yes"})
    assert (await _frame(communicator, "error"))["error"] == "INVALID_FRAME"
    await communicator.send_json_to({"action": "matchmake", "protocol": "auto_pair", "enabled": False})
    assert await _eventually(lambda: Player.objects.filter(pk=me.pk, auto_pair=False, inviting_to_play=True).exists())
    await communicator.disconnect()


async def test_a_socket_idle_longer_than_the_channel_layers_blocking_pop_still_gets_pushes(players):
    # Regression: with redis-py's default 5 s socket timeout the layer's 5 s blocking pop timed out and
    # the consumer died after a few quiet seconds.
    me, other, _ = players
    communicator, _, _ = await _open(me.user)
    await asyncio.sleep(6.5)
    await database_sync_to_async(matchmaking_invite)(other, me)
    assert (await _frame(communicator, "invited"))["inviteSenderUsername"] == other.user.username
    await communicator.disconnect()


def matchmaking_invite(inviter, invitee):
    from apps.matchmaking.services import invitation_send

    return invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)


async def test_a_flood_of_frames_is_rate_limited_then_closed(players, settings):
    settings.WS_RATE_BURST = 3
    settings.WS_RATE_PER_SECOND = 0.01
    communicator, _, _ = await _open(players[0].user)
    for _ in range(3):
        await communicator.send_json_to({"action": "base", "protocol": "initial"})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.send_json_to({"action": "base", "protocol": "initial"})
    assert (await _frame(communicator, "error"))["error"] == "RATE_LIMITED"
    for _ in range(2 * 3):
        await communicator.send_json_to({"action": "base", "protocol": "initial"})
    closed = None
    for _ in range(10):
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            closed = output
            break
    assert closed is not None and closed["code"] == 4429
