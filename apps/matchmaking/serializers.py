import json
from typing import Any

from rest_framework import serializers

from apps.accounts.models import Player
from apps.accounts.serializers import PlayerSerializer, SimplePlayerSerializer, UserSerializer, player_row_data
from apps.core.fields import ObjectIdField
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.matchmaking.selectors import matchup_is_read_by


class MatchmakingPlayerSerializer(PlayerSerializer):
    """The shape, for the schema; the data itself is built by `matchmaking_player_data` below."""

    distance = serializers.IntegerField(
        allow_null=True, help_text="Metres from me; null when either of us has no location."
    )

    class Meta(PlayerSerializer.Meta):
        fields = [*PlayerSerializer.Meta.fields, "distance"]


def matchmaking_list_json(request: Any, page: list[tuple[dict[str, Any], float | None]], online: set[int]) -> bytes:
    """The matchmaking list's body (`selectors.matchmaking_list`'s page): a Player shape and `distance` in
    whole metres per player. The list is the lobby's hot path: each player's JSON, but for `online` and
    `distance`, is encoded once per scheme and host and kept with their row (`LobbyIndex.rows`, as fresh as the
    lobby index). Nobody is on their own list, so no row shows its email (the owner's alone)."""
    origin = request.build_absolute_uri("/")  # scheme and host: the picture URLs carry both
    parts = []
    for row, distance in page:
        kept: dict[str, bytes] = row.setdefault("_json", {})
        head = kept.get(origin)
        if head is None:
            shape = player_row_data(request, row, online=False)
            del shape["online"]
            head = kept[origin] = json.dumps(shape, ensure_ascii=False, separators=(",", ":")).encode()[:-1]
        tail = b',"online":%s,"distance":%s}' % (
            b"true" if row["id"] in online else b"false",
            b"null" if distance is None else str(round(distance)).encode(),
        )
        parts.append(head + tail)
    return b"[" + b",".join(parts) + b"]"


class ReceivedInvitationSerializer(serializers.ModelSerializer):
    player_inviting = SimplePlayerSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "player_inviting", "created_at", "expires_at"]
        extra_kwargs = {"expires_at": {"help_text": "Unanswered by then, the invitation lapses."}}


class SentInvitationSerializer(serializers.ModelSerializer):
    """The shape; a single invitation's data is built by `sent_invitation_data` below."""

    player_invited = serializers.IntegerField(
        source="player_invited_id", read_only=True, help_text="The invitee's player id."
    )

    class Meta:
        model = Invitation
        fields = ["id", "player_invited", "created_at", "expires_at"]
        extra_kwargs = {"expires_at": {"help_text": "Unanswered by then, the invitation lapses."}}


_WHEN = serializers.DateTimeField()


def sent_invitation_data(invitation: Invitation) -> dict[str, Any]:
    """`SentInvitationSerializer(invitation).data` without building a model serializer's fields for each
    answer (a tenth of the invitation request's CPU; bench/push_latency.py)."""
    return {
        "id": invitation.pk,
        "player_invited": invitation.player_invited_id,
        "created_at": _WHEN.to_representation(invitation.created_at),
        "expires_at": _WHEN.to_representation(invitation.expires_at),
    }


class SenderSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Player
        fields = ["id", "user"]


class MatchupSerializer(serializers.ModelSerializer):
    player_inviting = SimplePlayerSerializer(read_only=True)
    player_accepting = SimplePlayerSerializer(read_only=True)
    last_message = serializers.SerializerMethodField(help_text="The latest message `{body, sender}`, or null.")
    read = serializers.SerializerMethodField(help_text="Whether I have read the latest message (per member).")

    class Meta:
        model = Matchup
        fields = ["id", "player_inviting", "player_accepting", "last_message", "read", "created_at"]

    def get_last_message(self, matchup: Matchup) -> dict[str, Any] | None:
        body = getattr(matchup, "last_body", None)
        if body is None:
            return None
        sender_id = getattr(matchup, "last_sender_id", None)
        sender = matchup.player_inviting if sender_id == matchup.player_inviting_id else matchup.player_accepting
        return {"body": body, "sender": SenderSerializer(sender, context=self.context).data}

    def get_read(self, matchup: Matchup) -> bool:
        return matchup_is_read_by(matchup, self.context["player"])


class MessageSerializer(serializers.ModelSerializer):
    sender = SenderSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "body", "time_sent", "sender", "after_outdated"]


class PlayerDetailsSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="My player id.")
    inviting_to_play = serializers.BooleanField(help_text="Whether I am in the lobby.")
    received_invitations = ReceivedInvitationSerializer(many=True)
    sent_invitations = SentInvitationSerializer(many=True)


class MatchmakingQuerySerializer(serializers.Serializer):
    filter = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="`rating`: only players within my rating window."
    )
    filter_location = serializers.BooleanField(
        required=False, default=False, help_text="Only players within MATCHMAKING_RADIUS_KM of me."
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=200, default=50, help_text="At most this many players."
    )


class InviteInputSerializer(serializers.Serializer):
    player = ObjectIdField(required=False, help_text="The invitee's player id (or object with an id).")
    username = serializers.CharField(
        required=False, max_length=150, help_text="The invitee's username (when `player` is not given)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("player") and not attrs.get("username"):
            raise serializers.ValidationError("Give the invitee as `player` (id) or `username`.")
        return attrs


class LobbyInputSerializer(serializers.Serializer):
    looking = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="In the lobby or not; null or absent: unchanged."
    )
    auto_pair = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Be paired automatically while looking; null or absent: unchanged.",
    )


class MessageInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000, trim_whitespace=True, help_text="The text, 1 to 2000 characters.")
