from typing import Any

from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer, simple_player_data
from apps.core.fields import ObjectIdField, OptionalOffsetDateTimeField
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import reservation_players


class ReservationSerializer(serializers.ModelSerializer):
    player_reserving = SimplePlayerSerializer(read_only=True, allow_null=True)
    other_player_details = SimplePlayerSerializer(source="other_player", read_only=True, allow_null=True)
    finished_reservation = serializers.SerializerMethodField()
    table_number = serializers.IntegerField(source="table.number", read_only=True)
    hall = serializers.IntegerField(source="table.hall_id", read_only=True)
    game_session = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = [
            "id",
            "start_time",
            "duration",
            "end_time",
            "finished_reservation",
            "player_reserving",
            "other_player_details",
            "status",
            "table",
            "table_number",
            "hall",
            "game_session",
        ]

    @staticmethod
    def _session(reservation: Reservation) -> GameSession | None:
        try:
            return reservation.game_session
        except GameSession.DoesNotExist:
            return None

    def get_finished_reservation(self, reservation: Reservation) -> bool:
        session = self._session(reservation)
        return bool(session is not None and session.ended_at is not None)

    def get_game_session(self, reservation: Reservation) -> int | None:
        session = self._session(reservation)
        return session.pk if session is not None else None

    def to_representation(self, reservation: Reservation) -> dict[str, Any]:
        return reservation_data(reservation, self.context.get("request"))


def reservation_data(reservation: Reservation, request: Any) -> dict[str, Any]:
    """The Reservation shape (see the note in apps/accounts/serializers.py on why a function)."""
    session = ReservationSerializer._session(reservation)
    booker, opponent = reservation.player_reserving, reservation.other_player
    return {
        "id": reservation.pk,
        "start_time": serializers.DateTimeField().to_representation(reservation.start_time),
        "duration": reservation.duration,
        "end_time": serializers.DateTimeField().to_representation(reservation.end_time),
        "finished_reservation": bool(session is not None and session.ended_at is not None),
        "player_reserving": simple_player_data(booker, request) if booker is not None else None,
        "other_player_details": simple_player_data(opponent, request) if opponent is not None else None,
        "status": reservation.status,
        "table": reservation.table_id,
        "table_number": reservation.table.number,
        "hall": reservation.table.hall_id,
        "game_session": session.pk if session is not None else None,
    }


class ScheduleSlotSerializer(serializers.ModelSerializer):
    """A booked slot as anybody may see it: times only, no identities."""

    class Meta:
        model = Reservation
        fields = ["start_time", "duration", "end_time"]


class ReserveInputSerializer(serializers.Serializer):
    start_time = OptionalOffsetDateTimeField()
    duration = serializers.IntegerField(min_value=1, max_value=24 * 60)
    other_player = ObjectIdField(required=False, allow_null=True)


class WalkInInputSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(min_value=1, help_text="Number of the table inside the hall.")
    duration = serializers.IntegerField(min_value=1, max_value=24 * 60)
    start_time = OptionalOffsetDateTimeField(required=False, help_text="Default: now.")


class DayInputSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)


class DaysInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=30)
    hall = serializers.IntegerField(min_value=1, required=False)


class TopPlayerSerializer(serializers.Serializer):
    """A row of the staff's most active players (schema of GET /api/top-player/)."""

    player = SimplePlayerSerializer()
    games = serializers.IntegerField()


class TopTableSerializer(serializers.Serializer):
    """A row of the staff's busiest tables (schema of GET /api/top-table/)."""

    id = serializers.IntegerField()
    table_id = serializers.IntegerField(help_text="Number of the table inside the hall.")
    games = serializers.IntegerField()
    minutes = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class GameSessionSerializer(serializers.ModelSerializer):
    """GET /api/game-session/{id}/ for one of its players."""

    players = serializers.SerializerMethodField()
    pooltable = serializers.IntegerField(source="table_id", read_only=True)
    table_number = serializers.IntegerField(source="table.number", read_only=True)
    status_finished = serializers.BooleanField(read_only=True)
    start_time = serializers.DateTimeField(source="started_at", read_only=True)
    end_time = serializers.SerializerMethodField()
    location = serializers.CharField(source="table.hall.title", read_only=True)
    hall = serializers.IntegerField(source="table.hall_id", read_only=True)
    opponent_username = serializers.SerializerMethodField()

    class Meta:
        model = GameSession
        fields = [
            "id",
            "players",
            "pooltable",
            "table_number",
            "status_finished",
            "start_time",
            "end_time",
            "location",
            "hall",
            "opponent_username",
            "minutes_played",
            "cost",
        ]

    def get_players(self, session: GameSession) -> list[dict[str, Any]]:
        players = reservation_players(session.reservation)
        return list(SimplePlayerSerializer(players, many=True, context=self.context).data)

    def get_end_time(self, session: GameSession) -> str:
        return (session.ended_at or session.reservation.end_time).isoformat()

    def get_opponent_username(self, session: GameSession) -> str | None:
        viewer = self.context.get("player")
        reservation = session.reservation
        for candidate in (reservation.player_reserving, reservation.other_player):
            if candidate is not None and (viewer is None or candidate.pk != viewer.pk):
                return candidate.user.username
        return None


class StaffSessionSerializer(GameSessionSerializer):
    table_id = serializers.IntegerField(source="table.number", read_only=True)

    class Meta(GameSessionSerializer.Meta):
        fields = [*GameSessionSerializer.Meta.fields, "table_id", "ended_early"]
