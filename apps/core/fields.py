"""Input fields shared by several APIs."""

from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The days the app takes from clients: wide enough for any real booking or history, far enough from the
# calendar's end (9999-12-31) that adding a duration or a day never overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)


@extend_schema_field(OpenApiTypes.INT)
class ObjectIdField(serializers.Field):
    """An object reference given as an id, a numeric string, or an object with an `id` (the web client
    sends whole SimplePlayer objects where an id is meant)."""

    default_error_messages = {"invalid": "Give an id (a positive whole number) or an object with an id."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, dict):
            data = data.get("id")
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = int(str(data))
        except (TypeError, ValueError):
            self.fail("invalid")
        if value < 1:
            self.fail("invalid")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class OptionalOffsetDateTimeField(serializers.Field):
    """ISO 8601 date-time; without an offset it stays naive for the service to place in the hall's zone."""

    default_error_messages = {
        "invalid": "Give a date-time like 2026-05-01T18:00:00+04:00.",
        "out_of_range": f"Give a date-time from {FIRST_DAY} to {LAST_DAY}.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        try:
            parsed = parse_datetime(str(data))
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if not FIRST_DAY <= parsed.date() <= LAST_DAY:
            self.fail("out_of_range")
        return parsed

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()
