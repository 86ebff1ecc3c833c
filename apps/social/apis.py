"""REST side of friends, friend requests, blocks and favourite opponents (thin: the services decide)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Player
from apps.accounts.selectors import player_named, player_require
from apps.core.apis import request_user, validated
from apps.core.throttling import ScopedThrottle
from apps.matchmaking import services as matchmaking
from apps.matchmaking.serializers import SentInvitationSerializer, sent_invitation_data
from apps.social import selectors, serializers, services


def _me(request: Request) -> Player:
    return player_require(request_user(request))


def _named_player(request: Request) -> Player:
    return player_named(validated(serializers.PlayerInputSerializer, request.data))


class FriendsApi(APIView):
    @extend_schema(responses={200: serializers.FriendSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """My friends with their presence, newest friendship first.

        Each friend says whether they are online, when they were last seen, whether they are looking for
        a game and at which hall a game of theirs is running.
        """
        friendships = selectors.friends_of(player=_me(request))
        return Response(serializers.FriendSerializer(friendships, many=True, context={"request": request}).data)


class FriendApi(APIView):
    @extend_schema(request=serializers.FriendUpdateInputSerializer, responses={200: serializers.FriendSerializer})
    def patch(self, request: Request, player_id: str) -> Response:
        """Change my settings for one friend (hear when they start looking for a game)."""
        data = validated(serializers.FriendUpdateInputSerializer, request.data)
        me = _me(request)
        friendship = services.friend_update(
            player=me, friend_id=player_id, notify_when_looking=data["notify_when_looking"]
        )
        return Response(serializers.friend_data(player=me, friend_id=friendship.friend_id, request=request))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, player_id: str) -> Response:
        """Remove a friend (both sides); they are not told."""
        services.friend_remove(player=_me(request), friend_id=player_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendInviteApi(APIView):
    throttle_scope = "invitations"
    throttle_classes = [ScopedThrottle]

    @extend_schema(request=None, responses={201: SentInvitationSerializer})
    def post(self, request: Request, player_id: str) -> Response:
        """Invite a friend to a game, straight from the friend list.

        The same invitation as `POST /api/invitations/`, for a player who is my friend.
        """
        me = _me(request)
        friendship = selectors.friendship_of(player=me, friend_id=player_id)
        invitation = matchmaking.invitation_send(inviter_id=me.pk, invitee_id=friendship.friend_id)
        return Response(sent_invitation_data(invitation), status=status.HTTP_201_CREATED)


class FriendRequestsApi(APIView):
    throttle_scope = "invitations"

    def get_throttles(self) -> list[Any]:
        # Only asking is limited; reading my requests is not.
        return [ScopedThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses={200: serializers.FriendRequestsSerializer})
    def get(self, request: Request) -> Response:
        """My pending friend requests, both ways."""
        me = _me(request)
        data = {
            "received": selectors.friend_requests_received(player=me),
            "sent": selectors.friend_requests_sent(player=me),
        }
        return Response(serializers.FriendRequestsSerializer(data, context={"request": request}).data)

    @extend_schema(request=serializers.PlayerInputSerializer, responses={201: serializers.FriendRequestSerializer})
    def post(self, request: Request) -> Response:
        """Ask a player to be friends.

        The recipient gets an FRQ notification and a `friend_request` socket frame. When they had asked
        me first, this accepts their request (`accepted` is true) and we are friends.
        """
        friend_request = services.friend_request_send(sender=_me(request), recipient=_named_player(request))
        body = serializers.FriendRequestSerializer(friend_request, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class FriendRequestApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, request_id: str) -> Response:
        """Withdraw my friend request."""
        services.friend_request_cancel(player=_me(request), request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRequestAcceptApi(APIView):
    @extend_schema(request=None, responses={201: serializers.FriendSerializer})
    def post(self, request: Request, request_id: str) -> Response:
        """Accept a friend request to me.

        We are friends; the sender gets an FRA notification and a `friend_accepted` socket frame.
        """
        me = _me(request)
        friendship = services.friend_request_accept(player=me, request_id=request_id)
        body = serializers.friend_data(player=me, friend_id=friendship.friend_id, request=request)
        return Response(body, status=status.HTTP_201_CREATED)


class FriendRequestDeclineApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, request_id: str) -> Response:
        """Decline a friend request to me; the sender is not told."""
        services.friend_request_decline(player=_me(request), request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlocksApi(APIView):
    @extend_schema(responses={200: serializers.BlockedSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The players I block, newest first."""
        blocks = selectors.blocks_of(player=_me(request))
        return Response(serializers.BlockedSerializer(blocks, many=True, context={"request": request}).data)

    @extend_schema(request=serializers.PlayerInputSerializer, responses={201: serializers.BlockedSerializer})
    def post(self, request: Request) -> Response:
        """Block a player.

        They can no longer invite me, message me, ask to be my friend or be paired with me, and we leave
        each other's matchmaking lists; any friendship ends. Nothing tells them.
        """
        block = services.block_create(blocker=_me(request), blocked=_named_player(request))
        body = serializers.BlockedSerializer(block, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class BlockApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, player_id: str) -> Response:
        """Unblock a player."""
        services.block_remove(blocker=_me(request), blocked_id=player_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FavouriteOpponentsApi(APIView):
    @extend_schema(
        parameters=[serializers.FavouriteOpponentsQuerySerializer],
        responses={200: serializers.OpponentRecordSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The players I have played most, with our record against each.

        From final results: most games first, then the most recent.
        """
        query = validated(serializers.FavouriteOpponentsQuerySerializer, request.query_params)
        records = selectors.favourite_opponents(player=_me(request), limit=query["limit"])
        return Response(serializers.OpponentRecordSerializer(records, many=True, context={"request": request}).data)
