from typing import Any

from rest_framework import serializers

from apps.accounts.models import Player
from apps.accounts.serializers import SimplePlayerSerializer
from apps.core.fields import ObjectIdField
from apps.ratings.models import GameResult


class HistorySerializer(serializers.ModelSerializer):
    game_session = serializers.IntegerField(source="session_id", read_only=True, help_text="The game session's id.")
    winner_player = SimplePlayerSerializer(source="winner", read_only=True)
    loser_player = SimplePlayerSerializer(source="loser", read_only=True)
    points_given = serializers.IntegerField(
        read_only=True, help_text="Rating points the winner gained; 0 until the result is final."
    )
    penalty_points = serializers.IntegerField(
        read_only=True, help_text="Rating points the loser lost; 0 until the result is final."
    )
    timestamp = serializers.SerializerMethodField(
        help_text="When the result became final; before that, when it was first reported."
    )
    poolhouse = serializers.CharField(source="session.table.hall.title", read_only=True, help_text="The hall's title.")
    poolhouse_id = serializers.IntegerField(source="session.table.hall_id", read_only=True, help_text="The hall's id.")
    claims = serializers.SerializerMethodField(
        help_text=(
            "Each player's report: `player` (id), `username`, `winner_player` (id, null for a draw or a bare "
            "dispute), `tie`, `result_winner`, `result_loser`, `disputes` (contests the other's report without "
            "a claim), `reported_at`. Until the result is final, the winner, loser and scores above are the "
            "asking player's own claim if they made one, else the first claim."
        )
    )

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
            "claims",
        ]
        extra_kwargs = {
            "result_winner": {"help_text": "Frames the winner won."},
            "result_loser": {"help_text": "Frames the loser won."},
            "tie": {"help_text": "A draw; winner_player and loser_player are then just the two players."},
        }

    def get_timestamp(self, result: GameResult) -> str:
        return (result.finalized_at or result.created_at).isoformat()

    def get_claims(self, result: GameResult) -> list[dict[str, Any]]:
        return [
            {
                "player": report.reporter_id,
                "username": report.reporter.user.username,
                "winner_player": report.winner_id,
                "tie": report.tie,
                "result_winner": report.result_winner,
                "result_loser": report.result_loser,
                "disputes": report.disputes,
                "reported_at": report.created_at.isoformat(),
            }
            for report in result.reports.all()
        ]

    def to_representation(self, result: GameResult) -> dict[str, Any]:
        data = super().to_representation(result)
        viewer = self.context.get("viewer_player")
        if result.status == GameResult.Status.FINAL or viewer is None:
            return data
        mine = next((c for c in data["claims"] if c["player"] == viewer.pk and not c["disputes"]), None)
        if mine is None:
            return data
        players = {p["id"]: p for p in (data["winner_player"], data["loser_player"]) if p}
        if not mine["tie"] and mine["winner_player"] in players:
            data["winner_player"] = players[mine["winner_player"]]
            data["loser_player"] = next(p for pk, p in players.items() if pk != mine["winner_player"])
        data.update(tie=mine["tie"], result_winner=mine["result_winner"], result_loser=mine["result_loser"])
        return data


class ReportInputSerializer(serializers.Serializer):
    game_session = ObjectIdField(help_text="The game session's id.")
    winner_player = ObjectIdField(help_text="The winner's player id; for a tie, the same id as loser_player.")
    loser_player = ObjectIdField(help_text="The loser's player id.")
    result_winner = serializers.IntegerField(
        min_value=0, max_value=99, required=False, default=0, help_text="Frames the winner won."
    )
    result_loser = serializers.IntegerField(
        min_value=0, max_value=99, required=False, default=0, help_text="Frames the loser won."
    )


class SettleInputSerializer(serializers.Serializer):
    winner_player = ObjectIdField(required=False, help_text="The winner's player id (leave out for a draw).")
    tie = serializers.BooleanField(required=False, default=False, help_text="A draw.")
    result_winner = serializers.IntegerField(min_value=0, max_value=99, help_text="Frames the winner won.")
    result_loser = serializers.IntegerField(min_value=0, max_value=99, help_text="Frames the loser won.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["tie"] == ("winner_player" in data):
            raise serializers.ValidationError("Name the winner with winner_player, or say tie: true.")
        return data


class LeaderboardInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["global", "hall", "around"], required=False, default="global")
    hall = serializers.IntegerField(min_value=1, required=False, help_text="The hall's id (needed by scope=hall).")


class LeaderboardRowSerializer(SimplePlayerSerializer):
    rank = serializers.IntegerField(read_only=True, help_text="Position in the global ranking, 1 = best.")
    rating_deviation = serializers.FloatField(
        read_only=True, help_text="Glicko-2 rating deviation: how uncertain the rating still is."
    )

    class Meta(SimplePlayerSerializer.Meta):
        fields = ["rank", *SimplePlayerSerializer.Meta.fields, "rating_deviation"]

    def to_representation(self, player: Player) -> dict[str, Any]:
        return {
            "rank": player.rank,  # type: ignore[attr-defined]
            **super().to_representation(player),
            "rating_deviation": player.rating_deviation,
        }
