"""REST side of matchmaking: the contract's reads, and twins of the socket actions (same services)."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, status
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.exceptions import NoPlayerProfile
from apps.accounts.models import Player
from apps.accounts.selectors import (
    active_user_exists,
    player_get_by_username,
    player_require,
    players_online_ids,
)
from apps.accounts.serializers import PlayerSerializer, viewer_id
from apps.core.apis import JsonOnly, request_user, validated, validated_query
from apps.core.auth import RememberedTokenAuthentication
from apps.core.throttling import ScopedThrottle
from apps.matchmaking import selectors, serializers, services
from apps.matchmaking.exceptions import InvitationNotFound
from apps.matchmaking.models import Invitation
from apps.notifications.serializers import UnreadSerializer
from apps.realtime.presence import presence_online_ids


def _me(request: Request) -> Player:
    return player_require(request_user(request))


def _me_row(request: Request) -> dict[str, Any]:
    """My player's lobby row (`selectors.lobby_me`) for a view that reads the token without loading its
    user (RememberedTokenAuthentication)."""
    user_id = viewer_id(request) or 0
    return _require_me(user_id, selectors.lobby_me(user_id=user_id))


def _require_me(user_id: int, me: dict[str, Any] | None) -> dict[str, Any]:
    """A staff account, which does not play, is NO_PLAYER_PROFILE; an account gone or deactivated since the
    token was issued is refused as simplejwt refuses it (401)."""
    if me is None and active_user_exists(user_id=user_id):
        raise NoPlayerProfile()
    if me is None or not me["user__is_active"]:
        raise AuthenticationFailed("User not found or inactive", code="user_not_found")
    return me


LIST_ONLINE_SECONDS = 1.0


class MatchmakingListApi(APIView):
    # The token is read without a database lookup of its user: the list reads the player, and whether the
    # account is active, from the lobby index when they wait, else in its own first query (the lobby's hot
    # path, bench/matchmaking_list.py).
    authentication_classes = [RememberedTokenAuthentication]
    content_negotiation_class = JsonOnly  # the body is JSON bytes made here: nothing to negotiate

    @extend_schema(
        parameters=[serializers.MatchmakingQuerySerializer],
        responses={200: serializers.MatchmakingPlayerSerializer(many=True)},
    )
    def get(self, request: Request) -> HttpResponse:
        """Players looking for a game, best fit first.

        Never me, nobody who denied me within the cooldown, nobody I have an open chat with.
        `filter=rating` keeps players within my rating window (it widens while I wait);
        `filter_location=true` keeps those within MATCHMAKING_RADIUS_KM of me.
        """
        query = validated_query(serializers.MatchmakingQuerySerializer, request)
        user_id = viewer_id(request) or 0
        me, rows = selectors.matchmaking_list(
            user_id=user_id,
            by_rating=query.get("filter") == "rating",
            by_location=query["filter_location"],
            limit=query["limit"],
        )
        _require_me(user_id, me)
        # Online dots as fresh as a second: pages of one area and rating band share most of their players.
        online = presence_online_ids((row["id"] for row, _distance in rows), seconds=LIST_ONLINE_SECONDS)
        return HttpResponse(serializers.matchmaking_list_json(request, rows, online), content_type="application/json")


class PlayerDetailsApi(APIView):
    @extend_schema(responses={200: serializers.PlayerDetailsSerializer})
    def get(self, request: Request) -> Response:
        """My lobby flag and my pending invitations, both ways."""
        me = _me(request)
        data = {
            "id": me.pk,
            "inviting_to_play": me.inviting_to_play,
            "received_invitations": selectors.invitations_received(player=me),
            "sent_invitations": selectors.invitations_sent(player=me),
        }
        return Response(serializers.PlayerDetailsSerializer(data, context={"request": request}).data)


class InvitationsApi(APIView):
    throttle_scope = "invitations"

    def get_throttles(self) -> list[Any]:
        # Only sending invitations is limited; reading my inbox is not.
        return [ScopedThrottle()] if self.request.method == "POST" else []

    def get_authenticators(self) -> list[Any]:
        # Sending reads the token without loading its user: who I am, and whether my account is active, come
        # from my player's row (`_me_row`). The invitation's hot path (bench/push_latency.py). The schema
        # generator asks without a request: it gets the usual JWT authentication, which documents the same.
        if getattr(self.request, "method", None) == "POST":
            return [RememberedTokenAuthentication()]
        return super().get_authenticators()

    @extend_schema(responses={200: serializers.ReceivedInvitationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Pending invitations to me."""
        invitations = selectors.invitations_received(player=_me(request))
        return Response(
            serializers.ReceivedInvitationSerializer(invitations, many=True, context={"request": request}).data
        )

    @extend_schema(request=serializers.InviteInputSerializer, responses={201: serializers.SentInvitationSerializer})
    def post(self, request: Request) -> Response:
        """Invite a player to a game.

        The invitee gets a notification and an `invited` socket frame. The socket's invite action does the
        same.
        """
        data = validated(serializers.InviteInputSerializer, request.data)
        me = _me_row(request)
        # An id is handed over as it is: the service finds no such active player (PLAYER_NOT_FOUND) itself.
        invitee_id = data.get("player") or player_get_by_username(data.get("username")).pk
        invitation = services.invitation_send(inviter_id=me["id"], invitee_id=invitee_id)
        return Response(serializers.sent_invitation_data(invitation), status=status.HTTP_201_CREATED)


def _invitation_to_me(request: Request, invitation_id: str) -> tuple[Player, Player]:
    me = _me(request)
    invitation = (
        Invitation.objects.select_related("player_inviting__user")
        .filter(pk=int(invitation_id), player_invited=me)
        .first()
    )
    if invitation is None:
        raise InvitationNotFound()
    return me, invitation.player_inviting


class InvitationAcceptApi(APIView):
    @extend_schema(request=None, responses={201: serializers.MatchupSerializer})
    def post(self, request: Request, invitation_id: str) -> Response:
        """Accept an invitation to me.

        Opens the chat (matchup) of the two players, takes both out of the lobby and cancels their other
        pending invitations; both sockets get `handling_invite_response`.
        """
        me, inviter = _invitation_to_me(request, invitation_id)
        matchup = services.invitation_accept(invitee=me, inviter=inviter)
        matchup = selectors.matchups_of(player=me).get(pk=matchup.pk)
        body = serializers.MatchupSerializer(matchup, context={"request": request, "player": me}).data
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationDenyApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, invitation_id: str) -> Response:
        """Deny an invitation to me.

        The inviter is told and no longer sees me in the matchmaking list for DENIAL_COOLDOWN_SECONDS.
        """
        me, inviter = _invitation_to_me(request, invitation_id)
        services.invitation_deny(invitee=me, inviter=inviter)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LobbyApi(APIView):
    @extend_schema(request=serializers.LobbyInputSerializer, responses={200: PlayerSerializer})
    def post(self, request: Request) -> Response:
        """Join or leave the lobby; switch automatic pairing.

        `looking` and `auto_pair` set those flags (absent or null: unchanged); a body with neither toggles
        `looking`.
        """
        data = validated(serializers.LobbyInputSerializer, request.data)
        looking, auto_pair = data.get("looking"), data.get("auto_pair")
        player = services.lobby_set_looking(
            player=_me(request), looking=looking, auto_pair=auto_pair, toggle=looking is None and auto_pair is None
        )
        context = {"request": request, "online_ids": players_online_ids([player])}
        return Response(PlayerSerializer(player, context=context).data)


class MatchupListApi(generics.GenericAPIView):
    serializer_class = serializers.MatchupSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "player": _me(self.request)}

    @extend_schema(responses=serializers.MatchupSerializer(many=True))
    def get(self, request: Request) -> Response:
        """My chats, latest activity first, paged."""
        page = self.paginate_queryset(selectors.matchups_of(player=_me(request)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MatchupDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, matchup_id: str) -> Response:
        """Hide a chat from my list.

        The other member keeps it; a new message shows it to both again.
        """
        services.matchup_hide(matchup_id=matchup_id, player=_me(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatApi(generics.GenericAPIView):
    serializer_class = serializers.MessageSerializer
    throttle_scope = "chat"

    def get_throttles(self) -> list[Any]:
        return [ScopedThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses=serializers.MessageSerializer(many=True))
    def get(self, request: Request, matchup_id: str) -> Response:
        """The messages of one of my chats, newest first, paged."""
        matchup = selectors.matchup_of_member(matchup_id=matchup_id, player=_me(request))
        page = self.paginate_queryset(selectors.chat_messages(matchup=matchup))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=serializers.MessageInputSerializer, responses={201: serializers.MessageSerializer})
    def post(self, request: Request, matchup_id: str) -> Response:
        """Send a message in one of my chats.

        The other member gets a `handleMessage` socket frame, and a notification unless one for this chat
        is still unread.
        """
        data = validated(serializers.MessageInputSerializer, request.data)
        message = services.message_send(sender=_me(request), matchup_id=matchup_id, body=data["message"])
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)


class ReadMatchupApi(APIView):
    @extend_schema(
        request=None,
        responses={200: inline_serializer("MatchupRead", fields={"read": drf_serializers.BooleanField()})},
    )
    def put(self, request: Request, matchup_id: str) -> Response:
        """Mark one of my chats read, for me."""
        services.matchup_mark_read(matchup_id=matchup_id, player=_me(request))
        return Response({"read": True})


class UnreadMatchupsApi(APIView):
    @extend_schema(responses={200: UnreadSerializer})
    def get(self, request: Request) -> Response:
        """How many of my chats have unread messages."""
        return Response({"unread": selectors.unread_matchups_count(player=_me(request))})
