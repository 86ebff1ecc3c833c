"""Helpers for tests that need bookings and sessions at exact times."""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.reservations.models import GameSession, Reservation


def at(hours_from_now: float, minute_aligned: bool = True) -> datetime:
    moment = timezone.now() + timedelta(hours=hours_from_now)
    return moment.replace(second=0, microsecond=0) if minute_aligned else moment


def book_directly(table, booker=None, opponent=None, start=None, seconds=3600) -> Reservation:
    """A reservation written straight to the table (no rules), for session tests that need exact times."""
    start = start or timezone.now()
    return Reservation.objects.create(
        table=table,
        player_reserving=booker,
        other_player=opponent,
        start_time=start,
        duration=max(1, seconds // 60),
        end_time=start + timedelta(seconds=seconds),
    )


def finished_session(table, booker, opponent, minutes=60) -> GameSession:
    start = timezone.now() - timedelta(minutes=minutes + 5)
    reservation = book_directly(table, booker, opponent, start=start, seconds=minutes * 60)
    return GameSession.objects.create(
        reservation=reservation,
        table=table,
        started_at=start,
        ended_at=reservation.end_time,
        minutes_played=minutes,
    )
