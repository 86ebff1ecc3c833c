"""What the socket's friend and block actions run in a thread: the frame's fields checked with the REST
twins' serializers, then the same services as REST; each answers with a frame for the socket that asked.
The consumer stays thin and only awaits these. `request` is the socket's stand-in for an HTTP request, so
the shapes carry absolute picture URLs as REST answers do (and no e-mail address: it has no user)."""

from typing import Any

from apps.accounts.models import Player
from apps.accounts.selectors import player_named
from apps.core.throttling import throttle_user
from apps.realtime import frames
from apps.realtime.walkup_socket import frame_input
from apps.social import serializers, services

Frame = dict[str, Any]


def request_send(*, content: dict[str, Any], player: Player, request: Any) -> Frame:
    """As `POST /api/friend-requests/`: the player named by `player` (id) or `username`."""
    recipient = player_named(frame_input(serializers.PlayerInputSerializer, content))
    throttle_user(scope="invitations", user_id=player.user_id)  # REST's limit, the same budget
    friend_request = services.friend_request_send(sender=player, recipient=recipient)
    return frames.friend_request_sent(
        dict(serializers.FriendRequestSerializer(friend_request, context={"request": request}).data)
    )


def request_accept(*, request_id: int, player: Player, request: Any) -> Frame:
    friendship = services.friend_request_accept(player=player, request_id=request_id)
    return frames.friend_added(serializers.friend_data(player=player, friend_id=friendship.friend_id, request=request))


def request_decline(*, request_id: int, player: Player) -> Frame:
    services.friend_request_decline(player=player, request_id=request_id)
    return frames.friend_request_closed(request_id, how="declined")


def request_cancel(*, request_id: int, player: Player) -> Frame:
    services.friend_request_cancel(player=player, request_id=request_id)
    return frames.friend_request_closed(request_id, how="cancelled")


def friend_remove(*, friend_id: int, player: Player) -> Frame:
    services.friend_remove(player=player, friend_id=friend_id)
    return frames.friend_removed(friend_id)


def block(*, content: dict[str, Any], player: Player, request: Any) -> Frame:
    """As `POST /api/blocks/`: the player named by `player` (id) or `username`."""
    blocked = player_named(frame_input(serializers.PlayerInputSerializer, content))
    created = services.block_create(blocker=player, blocked=blocked)
    return frames.player_blocked(dict(serializers.BlockedSerializer(created, context={"request": request}).data))


def unblock(*, player_id: int, player: Player) -> Frame:
    services.block_remove(blocker=player, blocked_id=player_id)
    return frames.player_unblocked(player_id)
