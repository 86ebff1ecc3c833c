"""The live parts on the socket: friend request and acceptance frames, silence towards a blocker, and the
friend and block actions sent on the socket (the REST twins' services, codes and silences)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from apps.accounts.services import ws_ticket_issue
from apps.matchmaking import services as matchmaking
from apps.social import services as social
from apps.social.models import Block, FriendRequest, Friendship
from strikem.asgi import application
from tests.conftest import bearer
from tests.factories import PlayerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(user) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
    communicator = WebsocketCommunicator(application, f"/ws/base/?uuid={ticket}", headers=[(b"host", b"testserver")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _frames(communicator, *protocols, timeout=5) -> dict[str, dict]:
    """The first frame of each of these protocols, whatever order they come in."""
    found: dict[str, dict] = {}
    while set(protocols) - set(found):
        frame = await communicator.receive_json_from(timeout=timeout)
        found.setdefault(frame.get("protocol"), frame)
    return found


async def test_request_and_acceptance_arrive_live_with_absolute_pictures():
    sender, recipient = await database_sync_to_async(lambda: (PlayerFactory(), PlayerFactory()))()
    sender_socket, recipient_socket = await _open(sender.user), await _open(recipient.user)
    try:
        request = await database_sync_to_async(social.friend_request_send)(sender=sender, recipient=recipient)
        received = await _frames(recipient_socket, "friend_request", "notification")
        frame = received["friend_request"]
        assert frame["request_id"] == request.pk and frame["sender_player_id"] == sender.pk
        assert frame["sender_username"] == sender.user.username
        assert frame["sender_profile_image"].startswith("http://testserver/")
        assert received["notification"]["type"] == "FRQ"
        await database_sync_to_async(social.friend_request_accept)(player=recipient, request_id=request.pk)
        accepted = (await _frames(sender_socket, "friend_accepted"))["friend_accepted"]
        assert accepted["friend_player_id"] == recipient.pk
        assert accepted["friend_profile_image"].startswith("http://testserver/")
    finally:
        await sender_socket.disconnect()
        await recipient_socket.disconnect()


async def test_a_blocker_gets_no_frame_from_the_blocked_player():
    blocker, blocked = await database_sync_to_async(lambda: (PlayerFactory(), PlayerFactory()))()
    await database_sync_to_async(Block.objects.create)(blocker=blocker, blocked=blocked)
    blocker_socket = await _open(blocker.user)
    try:
        await database_sync_to_async(matchmaking.invitation_send)(inviter_id=blocked.pk, invitee_id=blocker.pk)
        await database_sync_to_async(social.friend_request_send)(sender=blocked, recipient=blocker)
        assert await blocker_socket.receive_nothing(timeout=1.0)
    finally:
        await blocker_socket.disconnect()


# --- Friend and block actions sent on the socket -------------------------------------------------------


async def _ask(communicator, frame: dict, answer: str | None = None, timeout: float = 5) -> dict:
    """Send a frame; the first error frame, or the first frame of protocol `answer`, that comes back."""
    await communicator.send_json_to(frame)
    while True:
        received = await communicator.receive_json_from(timeout=timeout)
        if received.get("type") == "error" or received.get("protocol") == answer:
            return received


def _players(count: int):
    return database_sync_to_async(lambda: [PlayerFactory() for _ in range(count)])()


async def test_asking_and_accepting_on_the_socket_answer_with_frames_and_tell_the_other_player():
    sender, recipient = await _players(2)
    sender_socket, recipient_socket = await _open(sender.user), await _open(recipient.user)
    try:
        answer = await _ask(
            sender_socket, {"action": "friend", "protocol": "request", "player": recipient.pk}, "friend_request_sent"
        )
        request = answer["request"]
        assert request["accepted"] is False and request["recipient"]["id"] == recipient.pk
        assert request["sender"]["profile_image"].startswith("http://testserver/")
        assert request["recipient"]["user"]["email"] == ""  # a frame shows nobody's address
        told = (await _frames(recipient_socket, "friend_request"))["friend_request"]
        assert told["request_id"] == request["id"]

        accepted = await _ask(
            recipient_socket, {"action": "friend", "protocol": "accept", "request_id": request["id"]}, "friend_added"
        )
        assert accepted["friend"]["player"]["id"] == sender.pk and accepted["friend"]["online"] is True
        assert (await _frames(sender_socket, "friend_accepted"))["friend_accepted"]["friend_player_id"] == recipient.pk
        pairs = await database_sync_to_async(lambda: set(Friendship.objects.values_list("player_id", "friend_id")))()
        assert pairs == {(sender.pk, recipient.pk), (recipient.pk, sender.pk)}
    finally:
        await sender_socket.disconnect()
        await recipient_socket.disconnect()


async def test_asking_back_by_username_accepts_their_request():
    first, second = await _players(2)
    request = await database_sync_to_async(social.friend_request_send)(sender=first, recipient=second)
    socket = await _open(second.user)
    try:
        answer = await _ask(
            socket,
            {"action": "friend", "protocol": "request", "username": first.user.username},
            "friend_request_sent",
        )
        assert answer["request"]["id"] == request.pk and answer["request"]["accepted"] is True
        assert await database_sync_to_async(Friendship.objects.count)() == 2
    finally:
        await socket.disconnect()


async def test_bad_friend_requests_get_the_codes_rest_gives():
    me, other, friend, blocked_by_me = await _players(4)

    def arrange():
        Friendship.objects.create(player=me, friend=friend)
        Friendship.objects.create(player=friend, friend=me)
        Block.objects.create(blocker=me, blocked=blocked_by_me)

    await database_sync_to_async(arrange)()
    socket = await _open(me.user)
    ask = {"action": "friend", "protocol": "request"}
    try:
        cases = [
            ({"player": me.pk}, "FRIEND_REQUEST_TO_SELF"),
            ({"username": "nobody-here"}, "PLAYER_NOT_FOUND"),
            ({"player": 10**9}, "PLAYER_NOT_FOUND"),
            ({"player": friend.pk}, "ALREADY_FRIENDS"),
            ({"player": blocked_by_me.pk}, "PLAYER_BLOCKED_BY_YOU"),
            ({}, "INVALID_FRAME"),
            ({"player": "five"}, "INVALID_FRAME"),
        ]
        for fields, code in cases:
            assert (await _ask(socket, {**ask, **fields}))["error"] == code, fields
        assert (await _ask(socket, {**ask, "player": other.pk}, "friend_request_sent"))["protocol"]
        assert (await _ask(socket, {**ask, "player": other.pk}))["error"] == "FRIEND_REQUEST_ALREADY_SENT"
        # REST says the same for the same situations (a refused frame changed nothing).
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=await database_sync_to_async(bearer)(me.user))
        for fields, code in [*cases[:5], ({"player": other.pk}, "FRIEND_REQUEST_ALREADY_SENT")]:
            answer = await database_sync_to_async(client.post)("/api/friend-requests/", fields, format="json")
            assert answer.json()["error"] == code, fields
        assert await database_sync_to_async(FriendRequest.objects.count)() == 1
    finally:
        await socket.disconnect()


async def test_asking_a_player_who_blocks_me_is_answered_like_any_other_and_reaches_nobody():
    me, blocker, anybody = await _players(3)
    await database_sync_to_async(Block.objects.create)(blocker=blocker, blocked=me)
    me_socket, blocker_socket = await _open(me.user), await _open(blocker.user)
    try:
        to_blocker = await _ask(
            me_socket, {"action": "friend", "protocol": "request", "player": blocker.pk}, "friend_request_sent"
        )
        to_anybody = await _ask(
            me_socket, {"action": "friend", "protocol": "request", "player": anybody.pk}, "friend_request_sent"
        )
        assert set(to_blocker) == set(to_anybody) and set(to_blocker["request"]) == set(to_anybody["request"])
        assert to_blocker["request"]["accepted"] is False
        assert await blocker_socket.receive_nothing(timeout=1.0)
        again = await _ask(me_socket, {"action": "friend", "protocol": "request", "player": blocker.pk})
        assert again["error"] == "FRIEND_REQUEST_ALREADY_SENT"  # as for anybody asked twice
    finally:
        await me_socket.disconnect()
        await blocker_socket.disconnect()


async def test_decline_cancel_and_remove_on_the_socket():
    me, asker, asked, friend = await _players(4)

    def arrange():
        theirs = social.friend_request_send(sender=asker, recipient=me)
        mine = social.friend_request_send(sender=me, recipient=asked)
        Friendship.objects.create(player=me, friend=friend)
        Friendship.objects.create(player=friend, friend=me)
        return theirs.pk, mine.pk

    theirs, mine = await database_sync_to_async(arrange)()
    socket = await _open(me.user)
    try:
        # Declining my own request, or withdrawing one to me, is somebody else's request: not found.
        assert (await _ask(socket, {"action": "friend", "protocol": "decline", "request_id": mine}))[
            "error"
        ] == "FRIEND_REQUEST_NOT_FOUND"
        assert (await _ask(socket, {"action": "friend", "protocol": "cancel", "request_id": theirs}))[
            "error"
        ] == "FRIEND_REQUEST_NOT_FOUND"
        assert (await _ask(socket, {"action": "friend", "protocol": "accept", "request_id": "x"}))[
            "error"
        ] == "INVALID_FRAME"

        declined = await _ask(
            socket, {"action": "friend", "protocol": "decline", "request_id": theirs}, "friend_request_closed"
        )
        assert (declined["request_id"], declined["how"]) == (theirs, "declined")
        cancelled = await _ask(
            socket, {"action": "friend", "protocol": "cancel", "request_id": str(mine)}, "friend_request_closed"
        )
        assert (cancelled["request_id"], cancelled["how"]) == (mine, "cancelled")
        assert not await database_sync_to_async(FriendRequest.objects.exists)()

        removed = await _ask(
            socket, {"action": "friend", "protocol": "remove", "player_id": friend.pk}, "friend_removed"
        )
        assert removed["player_id"] == friend.pk
        assert not await database_sync_to_async(Friendship.objects.exists)()
        again = await _ask(socket, {"action": "friend", "protocol": "remove", "player_id": friend.pk})
        assert again["error"] == "FRIEND_NOT_FOUND"
    finally:
        await socket.disconnect()


async def test_block_and_unblock_on_the_socket():
    me, friend = await _players(2)

    def befriend():
        Friendship.objects.create(player=me, friend=friend)
        Friendship.objects.create(player=friend, friend=me)

    await database_sync_to_async(befriend)()
    socket, friend_socket = await _open(me.user), await _open(friend.user)
    try:
        blocked = await _ask(
            socket, {"action": "block", "protocol": "add", "username": friend.user.username}, "player_blocked"
        )
        assert blocked["blocked"]["player"]["id"] == friend.pk
        assert not await database_sync_to_async(Friendship.objects.exists)()  # blocking ends the friendship
        assert await friend_socket.receive_nothing(timeout=1.0)  # and tells them nothing
        assert (await _ask(socket, {"action": "block", "protocol": "add", "player": friend.pk}))[
            "error"
        ] == "ALREADY_BLOCKED"
        assert (await _ask(socket, {"action": "block", "protocol": "add", "player": me.pk}))["error"] == "BLOCK_SELF"

        unblocked = await _ask(
            socket, {"action": "block", "protocol": "remove", "player_id": friend.pk}, "player_unblocked"
        )
        assert unblocked["player_id"] == friend.pk
        assert not await database_sync_to_async(Block.objects.exists)()
        assert (await _ask(socket, {"action": "block", "protocol": "remove", "player_id": friend.pk}))[
            "error"
        ] == "BLOCK_NOT_FOUND"
        assert (await _ask(socket, {"action": "block", "protocol": "remove"}))["error"] == "INVALID_FRAME"
    finally:
        await socket.disconnect()
        await friend_socket.disconnect()


async def test_a_staff_account_without_a_player_is_refused():
    staff = await database_sync_to_async(StaffUserFactory)()
    socket = await _open(staff)
    try:
        answer = await _ask(socket, {"action": "friend", "protocol": "request", "username": "anybody"})
        assert answer["error"] == "NO_PLAYER_PROFILE"
    finally:
        await socket.disconnect()


async def test_socket_invitations_and_friend_requests_share_the_rest_budget(monkeypatch):
    """The socket twins of `POST /api/invitations/` and `POST /api/friend-requests/` count against the same
    `invitations` rate as REST: past it the frame is refused with THROTTLED and nothing is sent."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "invitations", "3/min")
    sender, *others = await database_sync_to_async(lambda: [PlayerFactory() for _ in range(5)])()
    rest = APIClient()
    rest.credentials(HTTP_AUTHORIZATION=await database_sync_to_async(bearer)(sender.user))
    for other in others[:2]:
        answer = await database_sync_to_async(rest.post)("/api/invitations/", {"player": other.pk}, format="json")
        assert answer.status_code == 201
    socket = await _open(sender.user)
    try:
        await socket.send_json_to({"action": "friend", "protocol": "request", "player": others[2].pk})
        assert "friend_request_sent" in await _frames(socket, "friend_request_sent")  # the third: allowed
        await socket.send_json_to({"action": "matchmake", "matchmaker_username": others[3].user.username})
        refused = await socket.receive_json_from(timeout=5)
        assert refused["type"] == "error" and refused["error"] == "THROTTLED"
        await socket.send_json_to({"action": "friend", "protocol": "request", "player": others[3].pk})
        assert (await socket.receive_json_from(timeout=5))["error"] == "THROTTLED"
    finally:
        await socket.disconnect()
    sent_to_fourth = await database_sync_to_async(
        lambda: (
            FriendRequest.objects.filter(recipient=others[3]).exists()
            or matchmaking.invitation_pending(inviter=sender, invitee=others[3]).exists()
        )
    )()
    assert not sent_to_fourth
