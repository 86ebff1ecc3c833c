from typing import Any

from django.templatetags.static import static
from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer, absolute_media_url, simple_player_row_data
from apps.halls.models import HallPhoto, HallRating, PoolHouse, TableKind
from apps.halls.selectors import TableRows
from apps.reservations.serializers import ReservationSerializer, booking_values

HALL_PLACEHOLDER = "core/hall-placeholder.jpg"


class HallPhotoSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField(help_text="Absolute URL of the photo.")

    class Meta:
        model = HallPhoto
        fields = ["id", "image"]

    def get_image(self, photo: HallPhoto) -> str | None:
        return absolute_media_url(self.context.get("request"), photo.image)


class PoolHouseSerializer(serializers.ModelSerializer):
    room_image = serializers.SerializerMethodField(
        help_text="Absolute URL of the floor plan (tables are placed on it by `top`/`left`); a placeholder when none."
    )
    pics = serializers.SerializerMethodField(
        help_text="The hall's photos `{id, image}`; never empty (a placeholder with id 0 when it has none)."
    )
    avg_rating = serializers.SerializerMethodField(help_text="Mean stars of the reviews, 0 when unrated.")
    table_count = serializers.IntegerField(read_only=True, help_text="Number of tables in the hall.")

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
        extra_kwargs = {
            "slug": {"help_text": "Names the hall on the socket (`poolhouseName`)."},
            "latitude": {"help_text": "Latitude in degrees."},
            "longitude": {"help_text": "Longitude in degrees."},
            "open_time": {"help_text": "Opening time, wall clock in the hall's time zone."},
            "close_time": {
                "help_text": "Closing time, wall clock in the hall's time zone; earlier than open_time: after midnight."
            },
            "time_zone": {"help_text": "The hall's IANA time zone, e.g. Europe/Berlin."},
            "currency": {"help_text": "ISO 4217 code of the hall's prices, e.g. EUR."},
        }

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
    distance = serializers.SerializerMethodField(help_text="Metres from the given point.")

    class Meta(PoolHouseSerializer.Meta):
        fields = [*PoolHouseSerializer.Meta.fields, "distance"]

    def get_distance(self, hall: PoolHouse) -> int:
        return round(hall.distance)  # type: ignore[attr-defined]


class TableHoldSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["tournament"], help_text="What holds the table.")
    id = serializers.IntegerField(help_text="The tournament's id.")
    name = serializers.CharField(help_text="The tournament's name.")
    until = serializers.DateTimeField(help_text="The end of the hold (the tournament's hours).")


class TableSerializer(serializers.Serializer):
    """The Table shape, for the schema; the data itself is built by `tables_data` below."""

    id = serializers.IntegerField(help_text="The table's id (the `table_id` of /tables/{table_id}/reserve/).")
    table_id = serializers.IntegerField(help_text="Number of the table inside the hall.")
    kind = serializers.ChoiceField(choices=TableKind.choices, help_text="What is played on it.")
    free = serializers.BooleanField(help_text="Neither busy, held for an event, nor out of service.")
    top = serializers.FloatField(help_text="% of the floor plan from the top.")
    left = serializers.FloatField(help_text="% of the floor plan from the left.")
    current_session = ReservationSerializer(allow_null=True)
    state = serializers.ChoiceField(
        choices=["free", "busy", "held", "out_of_service"],
        help_text="`held`: kept for an event (a tournament) between its games; no booking can take it.",
    )
    held_for = TableHoldSerializer(allow_null=True)
    busy_until = serializers.DateTimeField(allow_null=True, help_text="End of the running booking; null when not busy.")
    out_of_service = serializers.BooleanField(help_text="Taken out of service by the staff: not bookable.")
    hourly_rate = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text="The table's own price per hour, in the hall's currency; a hall's price list, where it has one, "
        "decides instead (see the quote).",
    )


class HallRatingSerializer(serializers.ModelSerializer):
    rater = SimplePlayerSerializer(read_only=True)

    class Meta:
        model = HallRating
        fields = ["rate", "review", "timestamp", "rater"]
        extra_kwargs = {
            "rate": {"help_text": "Stars, 1 to 5."},
            "timestamp": {"help_text": "When the review was written or last replaced."},
        }


class HallRatingInputSerializer(serializers.Serializer):
    rate = serializers.IntegerField(min_value=1, max_value=5, help_text="Stars, 1 to 5.")
    review = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Optional text."
    )


class HallsNearInputSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude of the point, degrees.")
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude of the point, degrees.")
    radius = serializers.FloatField(min_value=0.1, max_value=100, required=False, help_text="Kilometres, default 5.")


class RatingFilterInputSerializer(serializers.Serializer):
    filter = serializers.IntegerField(min_value=1, max_value=5, help_text="Stars, 1 to 5.")


class HallPhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="An image file (multipart upload).")


class HallPhotoDeleteInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text="The photo's id.")


def _player_from_row(row: dict[str, Any] | None, request: Any) -> dict[str, Any] | None:
    return None if row is None else simple_player_row_data(request, row)


_DATETIME = serializers.DateTimeField()


def hold_data(hold: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Table's `held_for` (and the `table_hold` frame's), from a row of `hall_holds_now`."""
    return None if hold is None else {**hold, "until": _DATETIME.to_representation(hold["until"])}


def tables_data(rows: TableRows, *, hall_id: int, request: Any) -> list[dict[str, Any]]:
    """The Table shapes of a hall (REST list and the board snapshot), from the rows `hall_table_rows` read."""
    tables, running, players, holds = rows
    result = []
    for table in tables:
        session = running.get(table["id"])
        current = None
        if session is not None:
            current = booking_values(
                reservation_id=session["reservation_id"],
                start=session["reservation__start_time"],
                duration=session["reservation__duration"],
                end=session["reservation__end_time"],
                finished=False,
                booker=_player_from_row(players.get(session["reservation__player_reserving_id"]), request),
                opponent=_player_from_row(players.get(session["reservation__other_player_id"]), request),
                status=session["reservation__status"],
                table_id=table["id"],
                table_number=table["number"],
                hall_id=hall_id,
                session_id=session["id"],
            )
        out_of_service = table["out_of_service"]
        held = holds.get(table["id"])
        if out_of_service:
            state = "out_of_service"
        elif session is not None:
            state = "busy"
        else:
            state = "held" if held else "free"
        result.append(
            {
                "id": table["id"],
                "table_id": table["number"],
                "kind": table["kind"],
                "free": state == "free",
                "top": float(table["top"]),
                "left": float(table["left"]),
                "current_session": current,
                "state": state,
                "held_for": hold_data(held),
                "busy_until": current["end_time"] if current else None,
                "out_of_service": out_of_service,
                "hourly_rate": f"{table['hourly_rate']:.2f}",
            }
        )
    return result
