"""Games, tables and parties at exact times for the walk-up queue's tests."""

from datetime import timedelta

from django.utils import timezone

from apps.reservations import services as sessions
from apps.reservations.models import GameSession
from apps.walkup import services
from apps.walkup.models import Offer, QueueEntry
from tests.factories import PlayerFactory
from tests.helpers import book_directly


def running_game(table, *, minutes_left: float, played: float = 10, walk_in: bool = False) -> GameSession:
    """A game on `table` that started `played` minutes ago and is booked to end in `minutes_left`."""
    start = timezone.now() - timedelta(minutes=played)
    players = (None, None) if walk_in else (PlayerFactory(), PlayerFactory())
    reservation = book_directly(table, *players, start=start, seconds=int((played + minutes_left) * 60))
    session = sessions.session_start(reservation_id=reservation.pk)
    assert session is not None
    return session


def join(hall, player=None, **fields) -> QueueEntry:
    fields.setdefault("party_size", 2)
    return services.queue_join(hall=hall, player=player or PlayerFactory(), **fields)


def pending_offer(entry: QueueEntry) -> Offer | None:
    return Offer.objects.filter(entry=entry, status=Offer.Status.PENDING).select_related("table").first()
