from typing import Any

from rest_framework import serializers

from apps.accounts.models import Player
from apps.accounts.serializers import SimplePlayerSerializer
from apps.core.fields import ObjectIdField
from apps.social.models import Block, FriendRequest, Friendship
from apps.social.selectors import friends_of


class HallPlaceSerializer(serializers.Serializer):
    hall_id = serializers.IntegerField(help_text="The hall's id.")
    title = serializers.CharField(help_text="The hall's title.")


class FriendSerializer(serializers.ModelSerializer):
    """A friend with their presence; `online` and `playing_at` come from the selector (friends_of)."""

    player = SimplePlayerSerializer(source="friend", read_only=True)
    since = serializers.DateTimeField(source="created_at", read_only=True, help_text="When we became friends.")
    online = serializers.BooleanField(read_only=True, help_text="Whether the friend has a socket open now.")
    last_seen = serializers.DateTimeField(
        source="friend.last_seen", read_only=True, allow_null=True, help_text="When their last socket closed."
    )
    looking = serializers.BooleanField(
        source="friend.inviting_to_play", read_only=True, help_text="In the lobby: looking for a game."
    )
    playing_at = HallPlaceSerializer(
        read_only=True, allow_null=True, help_text="The hall where a game of theirs is running now, or null."
    )

    class Meta:
        model = Friendship
        fields = ["player", "since", "online", "last_seen", "looking", "playing_at", "notify_when_looking"]
        extra_kwargs = {
            "notify_when_looking": {"help_text": "Whether I get an FLK notification when they start looking."}
        }


def friend_data(*, player: Player, friend_id: int, request: Any) -> dict[str, Any]:
    """The Friend shape of one of my friends, with their presence as the list shows it."""
    (friendship,) = friends_of(player=player, friend_ids=[friend_id])
    return dict(FriendSerializer(friendship, context={"request": request}).data)


class FriendUpdateInputSerializer(serializers.Serializer):
    notify_when_looking = serializers.BooleanField(
        help_text="Tell me (FLK notification, and a mobile push) when this friend starts looking for a game."
    )


class FriendRequestSerializer(serializers.ModelSerializer):
    sender = SimplePlayerSerializer(read_only=True)
    recipient = SimplePlayerSerializer(read_only=True)
    accepted = serializers.SerializerMethodField(
        help_text="True when sending it accepted the recipient's own request to me: we are friends now."
    )

    class Meta:
        model = FriendRequest
        fields = ["id", "sender", "recipient", "created_at", "accepted"]

    def get_accepted(self, request: FriendRequest) -> bool:
        return bool(getattr(request, "accepted", False))


class FriendRequestsSerializer(serializers.Serializer):
    received = FriendRequestSerializer(many=True, help_text="Requests to me, newest first.")
    sent = FriendRequestSerializer(many=True, help_text="My requests still waiting, newest first.")


class PlayerInputSerializer(serializers.Serializer):
    player = ObjectIdField(required=False, help_text="The other player's id (or an object with an id).")
    username = serializers.CharField(
        required=False, max_length=150, help_text="The other player's username (when `player` is not given)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("player") and not attrs.get("username"):
            raise serializers.ValidationError("Name the player as `player` (id) or `username`.")
        return attrs


class BlockedSerializer(serializers.ModelSerializer):
    player = SimplePlayerSerializer(source="blocked", read_only=True)

    class Meta:
        model = Block
        fields = ["player", "created_at"]
        extra_kwargs = {"created_at": {"help_text": "When I blocked them."}}


class OpponentRecordSerializer(serializers.Serializer):
    player = SimplePlayerSerializer(read_only=True)
    games = serializers.IntegerField(help_text="Games with a final result between us.")
    wins = serializers.IntegerField(help_text="Of those, games I won.")
    losses = serializers.IntegerField(help_text="Games I lost.")
    ties = serializers.IntegerField(help_text="Games tied.")
    last_played = serializers.DateTimeField(help_text="When our latest game's result was reported.")


class FavouriteOpponentsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=20, default=10, help_text="At most this many opponents."
    )
