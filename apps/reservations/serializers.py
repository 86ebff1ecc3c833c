import datetime as dt
from datetime import datetime, timedelta
from typing import Any

from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer, simple_player_data
from apps.core.fields import FIRST_DAY, LAST_DAY, ObjectIdField, OptionalOffsetDateTimeField
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import reservation_players


class ReservationSerializer(serializers.ModelSerializer):
    player_reserving = SimplePlayerSerializer(read_only=True, allow_null=True)
    other_player_details = SimplePlayerSerializer(source="other_player", read_only=True, allow_null=True)
    finished_reservation = serializers.SerializerMethodField(help_text="Whether its game has been played and ended.")
    table_number = serializers.IntegerField(
        source="table.number", read_only=True, help_text="Number of the table inside the hall."
    )
    hall = serializers.IntegerField(source="table.hall_id", read_only=True, help_text="The hall's id.")
    game_session = serializers.SerializerMethodField(help_text="Id of its game session once started, else null.")

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
        extra_kwargs = {
            "start_time": {"help_text": "Start, ISO 8601 with offset."},
            "duration": {"help_text": "Length in minutes."},
            "end_time": {"help_text": "start_time + duration, or when the game was ended early."},
            "table": {"help_text": "The table's id."},
        }

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


_DATETIME = serializers.DateTimeField()


def booking_values(
    *,
    reservation_id: int,
    start: datetime,
    duration: int,
    end: datetime,
    finished: bool,
    booker: dict[str, Any] | None,
    opponent: dict[str, Any] | None,
    status: str,
    table_id: int,
    table_number: int,
    hall_id: int,
    session_id: int | None,
) -> dict[str, Any]:
    """The Reservation shape from plain values (a model instance or the hall board's rows alike); the
    players are SimplePlayer shapes already."""
    return {
        "id": reservation_id,
        "start_time": _DATETIME.to_representation(start),
        "duration": duration,
        "end_time": _DATETIME.to_representation(end),
        "finished_reservation": finished,
        "player_reserving": booker,
        "other_player_details": opponent,
        "status": status,
        "table": table_id,
        "table_number": table_number,
        "hall": hall_id,
        "game_session": session_id,
    }


def reservation_data(reservation: Reservation, request: Any) -> dict[str, Any]:
    """The Reservation shape (see the note in apps/accounts/serializers.py on why a function)."""
    session = ReservationSerializer._session(reservation)
    booker, opponent = reservation.player_reserving, reservation.other_player
    return booking_values(
        reservation_id=reservation.pk,
        start=reservation.start_time,
        duration=reservation.duration,
        end=reservation.end_time,
        finished=bool(session is not None and session.ended_at is not None),
        booker=simple_player_data(booker, request) if booker is not None else None,
        opponent=simple_player_data(opponent, request) if opponent is not None else None,
        status=reservation.status,
        table_id=reservation.table_id,
        table_number=reservation.table.number,
        hall_id=reservation.table.hall_id,
        session_id=session.pk if session is not None else None,
    )


class ScheduleSlotSerializer(serializers.ModelSerializer):
    """A booked slot as anybody may see it: times only, no identities."""

    class Meta:
        model = Reservation
        fields = ["start_time", "duration", "end_time"]
        extra_kwargs = {
            "start_time": {"help_text": "Start, ISO 8601 with offset."},
            "duration": {"help_text": "Length in minutes."},
            "end_time": {"help_text": "start_time + duration, or when the game was ended early."},
        }


_START_TIME_HELP = "ISO 8601 date-time; without an offset it is read in the hall's time zone."
_DURATION_HELP = "Length in minutes: within the hall's minimum and maximum, and a multiple of its booking step."


class ReserveInputSerializer(serializers.Serializer):
    start_time = OptionalOffsetDateTimeField(help_text=_START_TIME_HELP)
    duration = serializers.IntegerField(min_value=1, max_value=24 * 60, help_text=_DURATION_HELP)
    other_player = ObjectIdField(
        required=False, allow_null=True, help_text="The opponent's player id (or a player object with an `id`)."
    )


class WalkInInputSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(min_value=1, help_text="Number of the table inside the hall.")
    duration = serializers.IntegerField(min_value=1, max_value=24 * 60, help_text=_DURATION_HELP)
    start_time = OptionalOffsetDateTimeField(required=False, help_text=f"{_START_TIME_HELP} Default: now.")


class DayInputSerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text="A day (YYYY-MM-DD) in the hall's time zone: the opening interval that starts on it."
    )

    def validate_date(self, value: dt.date) -> dt.date:
        if not FIRST_DAY <= value <= LAST_DAY:
            raise serializers.ValidationError(f"Give a day from {FIRST_DAY} to {LAST_DAY}.")
        return value


class DaysInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=366, required=False, default=30, help_text="How many days back to count."
    )
    hall = serializers.IntegerField(
        min_value=1, required=False, help_text="The hall's id; may be left out by the staff of exactly one hall."
    )


class TopPlayerSerializer(serializers.Serializer):
    """A row of the staff's most active players (schema of GET /api/top-player/)."""

    player = SimplePlayerSerializer()
    games = serializers.IntegerField(help_text="Games played at the hall in the period.")


class TopTableSerializer(serializers.Serializer):
    """A row of the staff's busiest tables (schema of GET /api/top-table/)."""

    id = serializers.IntegerField(help_text="The table's id.")
    table_id = serializers.IntegerField(help_text="Number of the table inside the hall.")
    games = serializers.IntegerField(help_text="Game sessions started in the period.")
    minutes = serializers.IntegerField(help_text="Minutes played in the period.")
    revenue = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Takings of the period, in `currency`."
    )
    currency = serializers.CharField(help_text="ISO 4217 code of the hall's prices.")


def result_status(session: GameSession) -> str:
    """Where a session's result stands (its result and reports loaded; see GameSessionSerializer)."""
    if session.ended_at is None:
        return "playing"
    if session.reservation.player_reserving_id is None or session.reservation.other_player_id is None:
        return "none"
    result = getattr(session, "result", None)
    if result is None or not result.reports.all():
        return "awaiting_reports" if result is None or result.status != "final" else "final"
    if result.status == "pending":
        return "awaiting_opponent"
    return str(result.status)


class GameSessionSerializer(serializers.ModelSerializer):
    """GET /api/game-session/{id}/ for one of its players."""

    players = serializers.SerializerMethodField(help_text="The booker and the opponent, as SimplePlayer.")
    pooltable = serializers.IntegerField(source="table_id", read_only=True, help_text="The table's id.")
    table_number = serializers.IntegerField(
        source="table.number", read_only=True, help_text="Number of the table inside the hall."
    )
    status_finished = serializers.BooleanField(read_only=True, help_text="Whether the game has ended.")
    start_time = serializers.DateTimeField(source="started_at", read_only=True, help_text="When the game started.")
    end_time = serializers.SerializerMethodField(help_text="When it ended; while it runs, its booked end.")
    location = serializers.CharField(source="table.hall.title", read_only=True, help_text="The hall's title.")
    hall = serializers.IntegerField(source="table.hall_id", read_only=True, help_text="The hall's id.")
    opponent_username = serializers.SerializerMethodField(
        help_text="Username of the other player of the session (null when there is none)."
    )
    result_status = serializers.SerializerMethodField(
        help_text=(
            "Where the game's result stands: `playing`, `awaiting_reports` (nobody has reported), "
            "`awaiting_opponent` (one player has reported, the other may confirm or dispute), `disputed` "
            "(the hall's staff settle it), `final`; `none` for a game without two players."
        )
    )
    reported_by_me = serializers.SerializerMethodField(
        help_text="Whether the asking player has reported this game's result (false for staff)."
    )

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
            "result_status",
            "reported_by_me",
        ]
        extra_kwargs = {
            "minutes_played": {"help_text": "Minutes played; null while the game runs."},
            "cost": {"help_text": "Price of the minutes played, in the hall's currency; null while the game runs."},
        }

    def get_players(self, session: GameSession) -> list[dict[str, Any]]:
        players = reservation_players(session.reservation)
        return list(SimplePlayerSerializer(players, many=True, context=self.context).data)

    def get_result_status(self, session: GameSession) -> str:
        return result_status(session)

    def get_reported_by_me(self, session: GameSession) -> bool:
        viewer = self.context.get("player")
        result = getattr(session, "result", None)
        if viewer is None or result is None:
            return False
        return any(report.reporter_id == viewer.pk and not report.disputes for report in result.reports.all())

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
    """What the staff see of a session: beside the booked times, when the table really went busy and free."""

    table_id = serializers.IntegerField(
        source="table.number", read_only=True, help_text="Number of the table inside the hall."
    )
    booked_start_time = serializers.DateTimeField(
        source="reservation.start_time", read_only=True, help_text="The booked start."
    )
    booked_end_time = serializers.SerializerMethodField(help_text="The booked end (start + the booked minutes).")
    started_at = serializers.DateTimeField(
        source="start_processed_at", read_only=True, help_text="When the table really went busy."
    )
    ended_at = serializers.DateTimeField(
        source="end_processed_at",
        read_only=True,
        allow_null=True,
        help_text="When the table really went free; null while playing.",
    )
    late_start_seconds = serializers.SerializerMethodField(
        help_text="How many seconds after the booked start the table went busy (0 when on time)."
    )

    class Meta(GameSessionSerializer.Meta):
        fields = [
            *GameSessionSerializer.Meta.fields,
            "table_id",
            "ended_early",
            "booked_start_time",
            "booked_end_time",
            "started_at",
            "ended_at",
            "late_start_seconds",
        ]
        extra_kwargs = {
            **GameSessionSerializer.Meta.extra_kwargs,
            "ended_early": {"help_text": "Ended before its booked end (by the staff or a cancelling booker)."},
        }

    def get_booked_end_time(self, session: GameSession) -> str:
        booked = session.reservation
        return _DATETIME.to_representation(booked.start_time + timedelta(minutes=booked.duration))

    def get_late_start_seconds(self, session: GameSession) -> int:
        return max(0, round((session.start_processed_at - session.reservation.start_time).total_seconds()))
