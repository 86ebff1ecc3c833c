from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Player
from apps.halls.hours import opening_window
from apps.halls.models import PoolHouse, PoolTable
from apps.reservations.exceptions import SessionNotFound, TableNotFound
from apps.reservations.models import GameSession, Reservation

_PLAYERS = ("player_reserving__user", "other_player__user")
# Holds (reservation_create(hold=True)): bookings that keep a table for an event whose games are bookings of
# their own inside them. The event names its hold (apps/tournaments: TournamentTable.hold), hence this
# reverse relation; a hold starts no session.
HOLDS = Q(tournament_hold__isnull=False)


def live_at(moment: datetime, *, via: str = "") -> Q:
    """The bookings that keep their table at `moment`: booked, begun and not over. `via`: the path to the
    booking from the model queried (`"hold__"` from a tournament's table)."""
    return Q(
        **{f"{via}status": Reservation.Status.BOOKED, f"{via}start_time__lte": moment, f"{via}end_time__gt": moment}
    )


def reservation_players(reservation: Reservation) -> list[Player]:
    """The booker and the opponent, whichever exist (a walk-in has neither)."""
    return [p for p in (reservation.player_reserving, reservation.other_player) if p is not None]


def table_get(*, hall: PoolHouse, table_id: int | str) -> PoolTable:
    try:
        return PoolTable.objects.select_related("hall").get(hall=hall, pk=int(table_id))
    except (ValueError, PoolTable.DoesNotExist) as exc:
        raise TableNotFound() from exc


def table_get_by_number(*, hall: PoolHouse, number: int) -> PoolTable:
    try:
        return PoolTable.objects.select_related("hall").get(hall=hall, number=number)
    except PoolTable.DoesNotExist as exc:
        raise TableNotFound(f"Hall {hall.title} has no table {number}.") from exc


def table_day_schedule(*, table: PoolTable, day: date) -> QuerySet[Reservation]:
    """Live bookings of the table during the hall's opening interval that starts on `day` (local)."""
    opens, closes = opening_window(table.hall, day)
    return Reservation.objects.filter(
        table=table, status=Reservation.Status.BOOKED, start_time__lt=closes, end_time__gt=opens
    ).order_by("start_time")


def reservations_of_player(*, player: Player) -> QuerySet[Reservation]:
    return (
        Reservation.objects.filter(Q(player_reserving=player) | Q(other_player=player))
        .select_related("table__hall", "game_session", *_PLAYERS)
        .order_by("-start_time")
    )


def reservations_of_hall(*, hall: PoolHouse, day: date | None = None) -> QuerySet[Reservation]:
    reservations = Reservation.objects.filter(table__hall=hall).select_related("table", "game_session", *_PLAYERS)
    if day is not None:
        opens, closes = opening_window(hall, day)
        return reservations.filter(start_time__lt=closes, end_time__gt=opens).order_by("start_time")
    since = timezone.now() - timedelta(days=1)
    return reservations.filter(end_time__gte=since).order_by("start_time")


def sessions_of_hall(*, hall: PoolHouse) -> QuerySet[GameSession]:
    since = timezone.now() - timedelta(days=1)
    return (
        _sessions()
        .filter(table__hall=hall)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("-started_at")
    )


def session_of_hall(*, hall: PoolHouse, session_id: int | str) -> GameSession:
    """A game session played at this hall; any other is SESSION_NOT_FOUND."""
    try:
        return _sessions().get(table__hall=hall, pk=int(session_id))
    except (ValueError, GameSession.DoesNotExist) as exc:
        raise SessionNotFound("No such game session in this hall.") from exc


def _sessions() -> QuerySet[GameSession]:
    """Sessions with what their shape shows: table, hall, both players, the result and its reports."""
    return GameSession.objects.select_related(
        "table__hall", "reservation__player_reserving__user", "reservation__other_player__user", "result"
    ).prefetch_related("result__reports")


def session_of_player(*, session_id: int | str, player: Player) -> GameSession:
    """A session the player played in; anybody else is told it does not exist."""
    try:
        session = _sessions().get(pk=int(session_id))
    except (ValueError, GameSession.DoesNotExist) as exc:
        raise SessionNotFound() from exc
    if player.pk not in (session.reservation.player_reserving_id, session.reservation.other_player_id):
        raise SessionNotFound()
    return session


def top_players(*, hall: PoolHouse, days: int, limit: int = 10) -> list[dict[str, object]]:
    """Players with the most games at the hall in the last `days` days, with minutes played."""
    since = timezone.now() - timedelta(days=days)
    sessions = GameSession.objects.filter(table__hall=hall, started_at__gte=since)
    games = Q(reservations_made__game_session__in=sessions) | Q(reservations_invited__game_session__in=sessions)
    players = (
        Player.objects.filter(games)
        .distinct()
        .select_related("user")
        .annotate(
            made=Count(
                "reservations_made__game_session", filter=Q(reservations_made__game_session__in=sessions), distinct=True
            ),
            invited=Count(
                "reservations_invited__game_session",
                filter=Q(reservations_invited__game_session__in=sessions),
                distinct=True,
            ),
        )
    )
    ranked = sorted(players, key=lambda p: (-(p.made + p.invited), p.pk))[:limit]  # type: ignore[attr-defined]
    return [{"player": p, "games": p.made + p.invited} for p in ranked]  # type: ignore[attr-defined]


def top_tables(*, hall: PoolHouse, days: int) -> QuerySet[PoolTable]:
    since = timezone.now() - timedelta(days=days)
    window = Q(sessions__started_at__gte=since)
    return (
        PoolTable.objects.filter(hall=hall)
        .annotate(
            games=Count("sessions", filter=window),
            minutes=Sum("sessions__minutes_played", filter=window),
            revenue=Sum("sessions__cost", filter=window),
        )
        .order_by("-games", "number")
    )
