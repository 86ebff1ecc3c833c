"""What the sockets' walk-up queue actions run in a thread: frames checked with the REST twin's serializers,
then the same services and selectors as REST. The consumers stay thin and only await these."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers as drf
from rest_framework.serializers import Serializer

from apps.accounts.models import Player, User
from apps.core.exceptions import DomainError
from apps.halls.models import PoolHouse
from apps.halls.selectors import hall_get_by_slug
from apps.halls.services import hall_staff_require
from apps.realtime import frames
from apps.walkup import selectors
from apps.walkup import services as walkup
from apps.walkup.models import QueueEntry

Frame = dict[str, Any]


def frame_input(serializer_class: type[Serializer], content: dict[str, Any]) -> dict[str, Any]:
    """The frame's fields checked as the REST twin checks its body; a bad one is INVALID_FRAME."""
    serializer = serializer_class(data=content)
    try:
        serializer.is_valid(raise_exception=True)
    except drf.ValidationError as error:
        fields = error.detail if isinstance(error.detail, dict) else {"frame": error.detail}
        sentence = "; ".join(f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in fields.items())
        raise DomainError(sentence, code="INVALID_FRAME") from error
    return dict(serializer.validated_data)


def frame_id(value: Any, name: str) -> int:
    """A positive whole number named `name` in the frame."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or int(value) < 1:
        raise DomainError(f"{name} is the id (a positive whole number).", code="INVALID_FRAME")
    return int(value)


def _hall(slug: Any) -> PoolHouse:
    if not isinstance(slug, str) or not slug or len(slug) > 140:
        raise DomainError("Say which hall with `hall` (its slug).", code="HALL_NOT_FOUND", status_code=404)
    return hall_get_by_slug(slug=slug)


def queue_join(*, slug: Any, player: Player, data: dict[str, Any]) -> QueueEntry:
    return walkup.queue_join(
        hall=_hall(slug),
        player=player,
        party_size=data["party_size"],
        table_kind=data["table_kind"],
        minutes=data["minutes"],
        name=data["name"],
    )


def desk_add(*, slug: Any, user: User, data: dict[str, Any]) -> QueueEntry:
    """Staff add a party standing at the desk (the fields of `POST /api/poolhouses/{id}/queue/staff/`)."""
    return walkup.queue_add_at_desk(
        hall=_hall(slug),
        user=user,
        name=data["name"],
        party_size=data["party_size"],
        table_kind=data["table_kind"],
        minutes=data["minutes"],
    )


def staff_queue(*, slug: Any, user: User) -> tuple[int, Frame]:
    """The hall's queue as its staff see it (NOT_HALL_STAFF for anybody else)."""
    hall = _hall(slug)
    hall_staff_require(user=user, hall=hall)
    return hall.pk, frames.walkup_queue(selectors.queue_view(hall=hall, now=timezone.now()))


def waitlist(*, slug: Any) -> tuple[int, Frame]:
    """The hall's public wait list (anybody)."""
    hall = _hall(slug)
    return hall.pk, frames.waitlist(selectors.queue_view(hall=hall, now=timezone.now()))
