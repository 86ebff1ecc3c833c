from typing import Any

from rest_framework import serializers

from apps.accounts.models import Player
from apps.accounts.serializers import SimplePlayerSerializer
from apps.core.fields import ObjectIdField
from apps.ratings.models import GameResult


class HistorySerializer(serializers.ModelSerializer):
    game_session = serializers.IntegerField(source="session_id", read_only=True)
    winner_player = SimplePlayerSerializer(source="winner", read_only=True)
    loser_player = SimplePlayerSerializer(source="loser", read_only=True)
    points_given = serializers.IntegerField(read_only=True)
    penalty_points = serializers.IntegerField(read_only=True)
    timestamp = serializers.SerializerMethodField()
    poolhouse = serializers.CharField(source="session.table.hall.title", read_only=True)
    poolhouse_id = serializers.IntegerField(source="session.table.hall_id", read_only=True)

    class Meta:
        model = GameResult
        fields = [
            "id",
            "game_session",
            "winner_player",
            "loser_player",
            "result_winner",
            "result_loser",
            "points_given",
            "penalty_points",
            "tie",
            "timestamp",
            "poolhouse",
            "poolhouse_id",
            "status",
        ]

    def get_timestamp(self, result: GameResult) -> str:
        return (result.finalized_at or result.created_at).isoformat()


class ReportInputSerializer(serializers.Serializer):
    game_session = ObjectIdField()
    winner_player = ObjectIdField()
    loser_player = ObjectIdField()
    result_winner = serializers.IntegerField(min_value=0, max_value=99, required=False, default=0)
    result_loser = serializers.IntegerField(min_value=0, max_value=99, required=False, default=0)


class LeaderboardInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["global", "hall", "around"], required=False, default="global")
    hall = serializers.IntegerField(min_value=1, required=False)


class LeaderboardRowSerializer(SimplePlayerSerializer):
    rank = serializers.IntegerField(read_only=True)
    rating_deviation = serializers.FloatField(read_only=True)

    class Meta(SimplePlayerSerializer.Meta):
        fields = ["rank", *SimplePlayerSerializer.Meta.fields, "rating_deviation"]

    def to_representation(self, player: Player) -> dict[str, Any]:
        return {
            "rank": player.rank,  # type: ignore[attr-defined]
            **super().to_representation(player),
            "rating_deviation": player.rating_deviation,
        }
