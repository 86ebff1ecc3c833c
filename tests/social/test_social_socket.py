"""The live parts on the socket: friend request and acceptance frames, and silence towards a blocker."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import ws_ticket_issue
from apps.matchmaking import services as matchmaking
from apps.social import services as social
from apps.social.models import Block
from strikem.asgi import application
from tests.factories import PlayerFactory

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
        await database_sync_to_async(matchmaking.invitation_send)(inviter=blocked, invitee=blocker)
        await database_sync_to_async(social.friend_request_send)(sender=blocked, recipient=blocker)
        assert await blocker_socket.receive_nothing(timeout=1.0)
    finally:
        await blocker_socket.disconnect()
