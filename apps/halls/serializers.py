from typing import Any

from django.templatetags.static import static
from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer, absolute_media_url
from apps.halls.models import HallPhoto, HallRating, PoolHouse, PoolTable
from apps.reservations.serializers import ReservationSerializer

HALL_PLACEHOLDER = "core/hall-placeholder.jpg"


class HallPhotoSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()

    class Meta:
        model = HallPhoto
        fields = ["id", "image"]

    def get_image(self, photo: HallPhoto) -> str | None:
        return absolute_media_url(self.context.get("request"), photo.image)


class PoolHouseSerializer(serializers.ModelSerializer):
    room_image = serializers.SerializerMethodField()
    pics = serializers.SerializerMethodField()
    avg_rating = serializers.SerializerMethodField()
    table_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PoolHouse
        fields = [
            "id",
            "title",
            "slug",
            "address",
            "latitude",
            "longitude",
            "open_time",
            "close_time",
            "room_image",
            "pics",
            "avg_rating",
            "table_count",
            "time_zone",
            "currency",
        ]

    def get_room_image(self, hall: PoolHouse) -> str | None:
        return absolute_media_url(self.context.get("request"), hall.room_image, HALL_PLACEHOLDER)

    def get_pics(self, hall: PoolHouse) -> list[dict[str, Any]]:
        pics = HallPhotoSerializer(hall.pics.all(), many=True, context=self.context).data
        if pics:
            return list(pics)
        # The web client reads pics[0]; a hall without photos shows the placeholder.
        request = self.context.get("request")
        url = static(HALL_PLACEHOLDER)
        return [{"id": 0, "image": request.build_absolute_uri(url) if request else url}]

    def get_avg_rating(self, hall: PoolHouse) -> float:
        return round(float(getattr(hall, "avg_rating", 0) or 0), 2)


class PoolHouseNearSerializer(PoolHouseSerializer):
    distance = serializers.SerializerMethodField()

    class Meta(PoolHouseSerializer.Meta):
        fields = [*PoolHouseSerializer.Meta.fields, "distance"]

    def get_distance(self, hall: PoolHouse) -> int:
        return round(hall.distance)  # type: ignore[attr-defined]


class TableSerializer(serializers.ModelSerializer):
    table_id = serializers.IntegerField(source="number", read_only=True)
    top = serializers.FloatField(read_only=True)
    left = serializers.FloatField(read_only=True)
    free = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    busy_until = serializers.SerializerMethodField()
    current_session = serializers.SerializerMethodField()
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)

    class Meta:
        model = PoolTable
        fields = [
            "id",
            "table_id",
            "free",
            "top",
            "left",
            "current_session",
            "state",
            "busy_until",
            "out_of_service",
            "hourly_rate",
        ]

    @staticmethod
    def _running(table: PoolTable) -> Any:
        sessions = getattr(table, "active_sessions", [])
        return sessions[0] if sessions else None

    def get_free(self, table: PoolTable) -> bool:
        return not table.out_of_service and self._running(table) is None

    def get_state(self, table: PoolTable) -> str:
        if table.out_of_service:
            return "out_of_service"
        return "busy" if self._running(table) is not None else "free"

    def get_busy_until(self, table: PoolTable) -> str | None:
        session = self._running(table)
        return session.reservation.end_time.isoformat() if session is not None else None

    def get_current_session(self, table: PoolTable) -> dict[str, Any] | None:
        session = self._running(table)
        if session is None:
            return None
        reservation = session.reservation
        # Hand the serializer what it would otherwise query again per table.
        reservation.game_session = session
        reservation.table = table
        return dict(ReservationSerializer(reservation, context=self.context).data)


class HallRatingSerializer(serializers.ModelSerializer):
    rater = SimplePlayerSerializer(read_only=True)

    class Meta:
        model = HallRating
        fields = ["rate", "review", "timestamp", "rater"]


class HallRatingInputSerializer(serializers.Serializer):
    rate = serializers.IntegerField(min_value=1, max_value=5)
    review = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class HallsNearInputSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    radius = serializers.FloatField(min_value=0.1, max_value=100, required=False, help_text="Kilometres, default 5.")


class RatingFilterInputSerializer(serializers.Serializer):
    filter = serializers.IntegerField(min_value=1, max_value=5)


class HallPhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField()


class HallPhotoDeleteInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
