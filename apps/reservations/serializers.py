from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer
from apps.reservations.models import Reservation


class ReservationSerializer(serializers.ModelSerializer):
    player_reserving = SimplePlayerSerializer(read_only=True, allow_null=True)
    other_player_details = SimplePlayerSerializer(source="other_player", read_only=True, allow_null=True)
    finished_reservation = serializers.SerializerMethodField()

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
        ]

    def get_finished_reservation(self, reservation: Reservation) -> bool:
        session = getattr(reservation, "game_session", None)
        return bool(session is not None and session.ended_at is not None)
