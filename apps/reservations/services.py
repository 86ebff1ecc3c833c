"""Booking, cancelling, starting and finishing games: every rule about tables in time lives here.

Concurrency: a booking locks its table row (and the players' rows) before looking for overlaps, so two
app servers racing for one slot serialise on the database and exactly one wins. Starting and finishing
lock the reservation or session row; the sweep skips rows another worker holds, and the one-to-one
between reservation and session makes a second session impossible even if a lock were bypassed.
"""

import logging
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.accounts.services import players_lock
from apps.core.retry import retry_deadlocks
from apps.halls.hours import within_opening_hours
from apps.halls.models import PoolTable
from apps.halls.services import hall_staff_require
from apps.notifications.models import Notification
from apps.notifications.services import notification_send, notification_send_to_players
from apps.pricing.selectors import price_on_table
from apps.realtime import frames
from apps.realtime.push import push_to_hall_board, push_to_user
from apps.reservations import (
    exceptions,
    tasks,  # a module import: the tasks call these services (README, "Cycles")
)
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import HOLDS, reservation_players
from apps.social.selectors import blocked_between
from apps.tournaments import services as tournaments  # a module import: it calls these services (README, "Cycles")
from apps.walkup import services as walkup  # a module import: it seats its walk-ins here (README, "Cycles")

logger = logging.getLogger(__name__)

# A task may fire a hair before its ETA (clocks of broker, worker and database differ slightly).
START_TOLERANCE = timedelta(seconds=1)
# Walk-ins booked "now" may carry a start a little in the past by the time they arrive.
WALK_IN_GRACE = timedelta(minutes=2)


def _validate_duration(table: PoolTable, minutes: int) -> None:
    hall = table.hall
    if not hall.min_booking_minutes <= minutes <= hall.max_booking_minutes:
        raise exceptions.BadDuration(
            f"A booking lasts {hall.min_booking_minutes} to {hall.max_booking_minutes} minutes."
        )
    if minutes % hall.booking_step_minutes:
        raise exceptions.BadDuration(f"Durations go in steps of {hall.booking_step_minutes} minutes.")


def _busy_players(players: list[Player], start: datetime, end: datetime) -> list[Player]:
    """Players of the list who are booked or playing anywhere during [start, end). A game that has ended
    holds nobody, even while its booking's end (the moment it ended, to the second) is not yet past."""
    ids = [player.pk for player in players]
    clashes = (
        Reservation.objects.filter(
            Q(player_reserving_id__in=ids) | Q(other_player_id__in=ids),
            status=Reservation.Status.BOOKED,
            start_time__lt=end,
            end_time__gt=start,
        )
        .exclude(game_session__ended_at__isnull=False)
        .values_list("player_reserving_id", "other_player_id")
    )
    busy = {player_id for pair in clashes for player_id in pair if player_id in ids}
    return [player for player in players if player.pk in busy]


def _start_in_hall_time(table: PoolTable, start: datetime) -> datetime:
    """A time without offset is read in the hall's own time zone, as a player at the hall means it. The
    instant is kept in UTC, so adding the booked minutes counts real minutes across a daylight-saving change
    (Python adds wall-clock time to a datetime in a zone)."""
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(table.hall.time_zone))
    return start.astimezone(UTC).replace(microsecond=0)


def _check_when(table: PoolTable, start: datetime, *, walk_in: bool) -> None:
    """Not in the past (a walk-in "now" may arrive a little late), not beyond the hall's horizon."""
    now = timezone.now()
    if start < now - (WALK_IN_GRACE if walk_in else timedelta(0)):
        raise exceptions.StartInPast()
    horizon = table.hall.booking_horizon_days
    if start > now + timedelta(days=horizon):
        raise exceptions.BeyondBookingHorizon(f"{table.hall.title} takes bookings up to {horizon} days ahead.")


def _check_table_rules(table: PoolTable, start: datetime, end: datetime, minutes: int, *, hold: bool = False) -> None:
    """The hall's rules for a slot of this locked table: duration (a hold runs as long as its event), service,
    opening hours."""
    hall = table.hall
    if not hold:
        _validate_duration(table, minutes)
    if table.out_of_service:
        raise exceptions.TableOutOfService(f"Table {table.number} is out of service.")
    if not within_opening_hours(hall, start, end):
        raise exceptions.OutsideOpeningHours(
            f"{hall.title} is open {hall.open_time:%H:%M}-{hall.close_time:%H:%M} ({hall.time_zone})."
        )


def _check_table_free(table: PoolTable, start: datetime, end: datetime, *, resumed: Reservation | None = None) -> None:
    """No other live booking of the table within the hall's cleaning buffer of [start, end). A `resumed` hold
    does not clash with itself, nor with the games of its event that are over (their tidying is its own)."""
    hall = table.hall
    buffer = timedelta(minutes=hall.cleaning_buffer_minutes)
    clashes = Reservation.objects.filter(
        table=table, status=Reservation.Status.BOOKED, start_time__lt=end + buffer, end_time__gt=start - buffer
    )
    if resumed is not None:
        clashes = clashes.exclude(pk=resumed.pk).filter(end_time__gt=start)
    clash = clashes.order_by("start_time").first()
    if clash is not None:
        zone = ZoneInfo(hall.time_zone)
        free_from = (clash.end_time + buffer).astimezone(zone)
        if clash.end_time < clash.start_time + timedelta(minutes=clash.duration):
            # A game ended early: the slot is open from its real end, once the table is tidied.
            raise exceptions.TableAlreadyBooked(
                f"Table {table.number}'s game ended at {clash.end_time.astimezone(zone):%H:%M}; it is free "
                f"from {free_from:%H:%M} ({hall.time_zone}), after {hall.cleaning_buffer_minutes} minutes to tidy up."
            )
        raise exceptions.TableAlreadyBooked(
            f"Table {table.number} is booked {clash.start_time.astimezone(zone):%Y-%m-%d %H:%M}-"
            f"{clash.end_time.astimezone(zone):%H:%M} ({hall.time_zone}), "
            f"plus {hall.cleaning_buffer_minutes} minutes to tidy up."
        )


def _check_players_free(players: list[Player], start: datetime, end: datetime) -> None:
    """Lock the players (one person, one table at a time) and refuse any already booked then."""
    if not players:
        return
    busy = _busy_players(list(players_lock(players).values()), start, end)
    if busy:
        names = ", ".join(p.user.username for p in busy)
        raise exceptions.PlayerBusy(f"Already booked or playing at that time: {names}.")


@transaction.atomic
def reservation_create(
    *,
    table: PoolTable,
    start: datetime,
    minutes: int,
    player: Player | None = None,
    other_player: Player | None = None,
    created_by: User | None = None,
    hold: bool = False,
    walk_in: bool | None = None,
) -> Reservation:
    """Book `table` for [start, start + minutes). `player` None is a staff walk-in; `walk_in` (default: no
    player) starts now, so a start a little in the past is taken (the walk-up queue seats a party, with or
    without a player, as a walk-in).

    A `hold` is a staff walk-in that keeps the table for an event (a tournament's hours) however long it
    runs; it starts no session of its own: the event's games are bookings inside it
    (`session_start_in_hold`). Schedules the start/finish tasks after commit when they fall due soon.
    """
    start = _start_in_hall_time(table, start)
    _check_when(table, start, walk_in=player is None if walk_in is None else walk_in)
    # Lock the table row: every booking of this table queues here, on whichever app server it runs.
    table = PoolTable.objects.select_for_update().select_related("hall").get(pk=table.pk)
    if player is None:
        # A booking without a player is a walk-in: only the hall's staff make those.
        if created_by is None:
            raise exceptions.ReservationError("A walk-in needs the staff member who makes it.")
        hall_staff_require(user=created_by, hall=table.hall)
    end = start + timedelta(minutes=minutes)
    if hold and player is not None:
        raise exceptions.ReservationError("A hold is a walk-in: it has no player.")
    _check_table_rules(table, start, end, minutes, hold=hold)
    if other_player is not None and player is not None and other_player.pk == player.pk:
        raise exceptions.InvalidOpponent("You cannot book a game against yourself.")
    if other_player is not None and player is not None and blocked_between(player, other_player):
        # Told like any opponent who is not to be had, so a block is never revealed.
        raise exceptions.InvalidOpponent("The opponent is not a player here.")
    _check_table_free(table, start, end)
    _check_players_free([p for p in (player, other_player) if p is not None], start, end)

    reservation = Reservation.objects.create(
        table=table,
        player_reserving=player,
        other_player=other_player,
        start_time=start,
        duration=minutes,
        end_time=end,
        created_by=created_by,
    )
    if other_player is not None and player is not None:
        notification_send(
            recipient=other_player,
            type=Notification.Type.RESERVED,
            body=f"{player.user.username} booked table {table.number} at {table.hall.title} for you both.",
            extra=str(reservation.pk),
            sent_by=player,
        )
    transaction.on_commit(lambda: tasks.schedule_if_due(reservation))
    return reservation


@retry_deadlocks
@transaction.atomic
def reservation_extend(*, reservation_id: int, minutes: int) -> Reservation:
    """More time for a booking not yet over: its end moves `minutes` later, by the same rules as any booking
    (the hall's steps and longest game, the table in service, opening hours, so never past closing; the
    table free until then plus the hall's tidy-up time before the next booking; its players free). The
    caller says who may ask. The table row is locked first, then the booking, its game session (so a timed
    finish at this very moment either ends the game first, and the booking is over, or skips it and runs at
    the new end), then its players, as a booking locks them. The game is priced at its end like any (the
    price list in force at its start). After commit: the finish moves to the new end and the hall's board
    shows it (a `now_busy` with the new end)."""
    table_id = Reservation.objects.filter(pk=reservation_id).values_list("table_id", flat=True).first()
    if table_id is None:
        raise exceptions.ReservationNotFound()
    table = PoolTable.objects.select_for_update().select_related("hall").get(pk=table_id)
    reservation = (
        Reservation.objects.select_for_update().select_related("player_reserving__user").get(pk=reservation_id)
    )
    session = GameSession.objects.select_for_update().filter(reservation=reservation).first()
    now = timezone.now()
    if (
        reservation.status != Reservation.Status.BOOKED
        or reservation.end_time <= now
        or (session is not None and session.ended_at is not None)
    ):
        raise exceptions.ReservationOver("This game is over; it cannot be extended.")
    if minutes < 1:
        raise exceptions.BadDuration("Ask for at least one step of the hall's booking time.")
    total = reservation.duration + minutes
    end = reservation.end_time + timedelta(minutes=minutes)
    _check_table_rules(table, reservation.start_time, end, total)
    _check_table_free(table, reservation.end_time, end, resumed=reservation)
    _check_players_free(reservation_players(reservation), reservation.end_time, end)
    reservation.duration, reservation.end_time = total, end
    reservation.save(update_fields=["duration", "end_time"])
    if session is not None:
        session.reservation = reservation
        frame, hall_id = frames.table_busy(session), table.hall_id

        def announce() -> None:
            push_to_hall_board(hall_id, frame)
            tasks.schedule_finish_if_due(session)

        transaction.on_commit(announce)
    return reservation


@transaction.atomic
def hold_release(*, hold_id: int) -> Reservation | None:
    """An event is over before its hours: its hold ends now (or is cancelled if it has not begun), and the
    table is free again for bookings and the walk-up queue. None: there was nothing left of it to release."""
    hold = Reservation.objects.select_for_update().select_related("table").filter(pk=hold_id).first()
    now = timezone.now()
    if hold is None or hold.status != Reservation.Status.BOOKED or hold.end_time <= now:
        return None
    if hold.start_time >= now:
        hold.status = Reservation.Status.CANCELLED
    else:
        hold.end_time, hold.duration = now, max(1, math.ceil((now - hold.start_time).total_seconds() / 60))
    hold.save(update_fields=["status", "end_time", "duration"])
    table = hold.table
    frame = frames.table_hold(table_id=table.pk, table_number=table.number, held_for=None)

    def announce() -> None:
        push_to_hall_board(table.hall_id, frame)
        _table_freed(table_id=table.pk)

    transaction.on_commit(announce)
    return hold


@transaction.atomic
def hold_resume(*, hold_id: int, until: datetime) -> Reservation:
    """An event that gave its table back reopened (a tournament's result undone after its end): its hold
    keeps the table again from now to `until`, unless a booking took the table meanwhile
    (TABLE_ALREADY_BOOKED). The event tells the board (the tournament's `table_hold` frames)."""
    table_id = Reservation.objects.values_list("table_id", flat=True).get(pk=hold_id)
    table = PoolTable.objects.select_for_update().select_related("hall").get(pk=table_id)
    hold = Reservation.objects.select_for_update().get(pk=hold_id)
    now = timezone.now()
    if hold.status == Reservation.Status.BOOKED and hold.end_time >= until:
        return hold
    _check_table_free(table, now, until, resumed=hold)
    hold.status, hold.end_time = Reservation.Status.BOOKED, until
    hold.duration = math.ceil((until - hold.start_time).total_seconds() / 60)
    hold.save(update_fields=["status", "end_time", "duration"])
    return hold


@transaction.atomic
def reservation_cancel(*, reservation_id: int, user: User) -> Reservation:
    """Cancel my booking before it starts (frees the slot); during the game it ends the session now."""
    reservation = (
        Reservation.objects.select_for_update().select_related("player_reserving").filter(pk=reservation_id).first()
    )
    if reservation is None:
        raise exceptions.ReservationNotFound()
    booker = reservation.player_reserving
    opponent = reservation.other_player
    opponent_user_id = opponent.user_id if opponent is not None else None
    if booker is None or booker.user_id != user.pk:
        if user.pk == opponent_user_id:
            raise exceptions.NotYourReservation()
        raise exceptions.ReservationNotFound()
    if reservation.status != Reservation.Status.BOOKED:
        raise exceptions.ReservationOver()
    session = GameSession.objects.filter(reservation=reservation).first()
    if session is not None:
        if session.ended_at is not None:
            raise exceptions.ReservationOver()
        session_finish(session_id=session.pk, early=True)
        reservation.refresh_from_db()
        return reservation
    reservation.status = Reservation.Status.CANCELLED
    reservation.save(update_fields=["status"])
    table_id = reservation.table_id
    transaction.on_commit(lambda: _table_freed(table_id=table_id))
    return reservation


@transaction.atomic
def session_start(*, reservation_id: int, tell_players: bool = True) -> GameSession | None:
    """Start the game of a due reservation; a no-op (None) when it is not due, gone, cancelled or started.

    Safe under any number of concurrent callers: the row lock skips a reservation another worker holds,
    and the one-to-one on the session refuses a second session outright.
    """
    now = timezone.now()
    # Lock the reservation row alone (a join would lock the table and players too, and SKIP LOCKED
    # would then skip a due start merely because someone is booking another slot of the table).
    locked = Reservation.objects.select_for_update(skip_locked=True).filter(pk=reservation_id).first()
    reservation = (
        Reservation.objects.select_related("table__hall", "player_reserving__user", "other_player__user")
        .filter(pk=locked.pk)
        .first()
        if locked is not None
        else None
    )
    if reservation is None or reservation.status != Reservation.Status.BOOKED:
        return None
    if reservation.start_time > now + START_TOLERANCE:
        return None  # moved later since the task was queued; its new task or the sweep will come
    if Reservation.objects.filter(HOLDS, pk=reservation.pk).exists():
        return None  # a hold keeps the table; its event's games start sessions of their own
    if GameSession.objects.filter(reservation=reservation).exists():
        return None
    try:
        with transaction.atomic():
            session = GameSession.objects.create(
                reservation=reservation, table=reservation.table, started_at=reservation.start_time
            )
    except IntegrityError:
        return None
    _announce_start(session, tell_players=tell_players)
    return session


def _announce_start(session: GameSession, *, tell_players: bool) -> None:
    """A game started (its reservation loaded with table, hall and players): the players are told (unless
    their event tells them itself) and, after commit, the board shows the table busy."""
    reservation = session.reservation
    if tell_players:
        notification_send_to_players(
            reservation_players(reservation),
            type=Notification.Type.SESSION_STARTED,
            body=f"Your game on table {reservation.table.number} at {reservation.table.hall.title} has started.",
            extra=str(session.pk),
        )
    frame = frames.table_busy(session)
    hall_id = reservation.table.hall_id
    transaction.on_commit(lambda: push_to_hall_board(hall_id, frame))


@transaction.atomic(savepoint=False)  # a caller that goes on after a refusal keeps its own savepoint
def session_start_in_hold(
    *, hold: Reservation, player: Player, other_player: Player, created_by_id: int | None
) -> GameSession:
    """Start a game now between two players on a table their event holds (`reservation_create(hold=True)`).

    The game is a booking of its own inside the hold, from now to the hold's end (it is finished early when
    the game ends), so its table time, cost, players and result are those of any session. The table row is
    locked first, then the players: no second game on the table, no player in two games at once. It starts
    at this very moment (not a whole second), so it never starts before the game it follows on the table ended.
    The booking is this transaction's own, so its session starts here at once (none of `session_start`'s
    checks for a booking that others see). `hold` as this transaction read it (a later read would see the
    same); `player` and `other_player` come with their users.
    """
    now = timezone.now()
    table = PoolTable.objects.select_for_update().get(pk=hold.table_id)
    if hold.status != Reservation.Status.BOOKED or not hold.start_time <= now < hold.end_time:
        raise exceptions.TableAlreadyBooked(f"Table {table.number} is not held for this game now.")
    if table.out_of_service:
        raise exceptions.TableOutOfService(f"Table {table.number} is out of service.")
    if player.pk == other_player.pk:
        raise exceptions.InvalidOpponent("A game needs two different players.")
    if (
        Reservation.objects.filter(
            table=table, status=Reservation.Status.BOOKED, start_time__lt=hold.end_time, end_time__gt=now
        )
        .exclude(pk=hold.pk)
        .exclude(game_session__ended_at__isnull=False)
        .exists()
    ):
        raise exceptions.TableAlreadyBooked(f"Table {table.number} has a game on it.")
    _check_players_free([player, other_player], now, hold.end_time)
    reservation = Reservation.objects.create(
        table=table,
        player_reserving=player,
        other_player=other_player,
        start_time=now,
        duration=max(1, math.ceil((hold.end_time - now).total_seconds() / 60)),
        end_time=hold.end_time,
        created_by_id=created_by_id,
    )
    session = GameSession.objects.create(reservation=reservation, table=table, started_at=now)
    # The event tells its players itself (a tournament's `match_called`): no "game started" besides.
    _announce_start(session, tell_players=False)
    return session


def _cost(session: GameSession) -> Decimal:
    """What the ended game costs: the hall's price list in force at its start, with the member rate when
    its booker (or the player a walk-in is for) is a member (apps/pricing)."""
    assert session.ended_at is not None
    quote = price_on_table(
        table=session.table, start=session.started_at, end=session.ended_at, player=session.reservation.player_reserving
    )
    return quote.total


def _session_to_finish(session_id: int, *, early: bool) -> GameSession | None:
    """The running session, locked, with what finishing it reads; None when another worker holds it (a
    timed finish skips it) or it is over."""
    locked = GameSession.objects.select_for_update(skip_locked=not early).filter(pk=session_id).first()
    if locked is None:
        return None
    session = (
        GameSession.objects.select_related("reservation__player_reserving", "reservation__other_player", "table__hall")
        .filter(pk=locked.pk)
        .first()
    )
    return session if session is not None and session.ended_at is None else None


def _record_end(session: GameSession, now: datetime, *, early: bool) -> None:
    """Set when the game ended (now, for an early end, which also shortens the reservation so its slot
    opens), the minutes played and the cost."""
    reservation = session.reservation
    if early and reservation.end_time > now:
        session.ended_at = max(now, session.started_at)
        session.ended_early = True
        reservation.end_time = max(now, reservation.start_time + timedelta(seconds=1))
        reservation.save(update_fields=["end_time"])
    else:
        session.ended_at = reservation.end_time
    minutes = max(0, math.ceil((session.ended_at - session.started_at).total_seconds() / 60))
    session.minutes_played = minutes
    session.cost = _cost(session)
    session.end_processed_at = now
    session.save(update_fields=["ended_at", "ended_early", "moved", "minutes_played", "cost", "end_processed_at"])


def _announce_end(session: GameSession, *, ask_result: bool = True) -> None:
    """Ask both players for the result; after commit, free the table on the board and tell the players (a
    game that moved to another table is not over for them: the board alone hears of it)."""
    players = [] if session.moved else reservation_players(session.reservation)
    if len(players) == 2 and ask_result:
        for player in players:
            notification_send(
                recipient=player,
                type=Notification.Type.ENTER_RESULT,
                body=f"Your game on table {session.table.number} has finished. Enter the result.",
                extra=str(session.pk),
            )
    user_ids = [player.user_id for player in players]
    free_frame, finish_frame = frames.table_free(session), frames.session_finished(session)
    hall_id = session.table.hall_id

    table_id = session.table_id

    def announce() -> None:
        push_to_hall_board(hall_id, free_frame)
        for user_id in user_ids:
            push_to_user(user_id, finish_frame)
        _table_freed(table_id=table_id)

    transaction.on_commit(announce)


def _table_freed(*, table_id: int) -> None:
    """After commit: a game ended, or a booking was cancelled, and its table is free. The one place that tells
    whoever waits for tables (a tournament that holds it calls its next match; else the walk-up queue offers
    it); each listener
    runs its own transaction, and a failure is logged, never raised into the action that freed the table
    (each has a sweep that catches up)."""
    try:
        if tournaments.tournament_table_freed(table_id=table_id):
            return  # a tournament holds it: not the walk-up queue's
    except Exception:
        logger.exception("tournament call on table %s failed", table_id)
    try:
        walkup.queue_table_freed(table_id=table_id)
    except Exception:
        logger.exception("walk-up queue call on table %s failed", table_id)


@retry_deadlocks  # a timed finish meeting a last-moment extension of the same game (reservation_extend)
@transaction.atomic(savepoint=False)  # inside a caller's transaction an error undoes it all: no savepoint to keep
def session_finish(
    *, session_id: int, early: bool = False, moved: bool = False, ask_result: bool = True
) -> GameSession | None:
    """Finish a running session: at its booked end, or now when `early` (staff or a cancelling booker).

    Frees the table (an early end also shortens the reservation so its slot opens), records the minutes
    and the cost, asks both players for the result. A no-op (None) when already finished or not yet due.
    `moved`: the game goes on at another table (a tournament match moved), so it ends here without a
    result of its own: the players are not asked for one, and a report of it is refused (GAME_MOVED).
    `ask_result` False: no "enter the result" notifications (the event that ended it collects the result).
    """
    now = timezone.now()
    session = _session_to_finish(session_id, early=early)
    if session is None:
        return None
    if not early and session.reservation.end_time > now + START_TOLERANCE:
        return None  # extended since the task was queued
    session.moved = moved
    _record_end(session, now, early=early)
    _announce_end(session, ask_result=ask_result)
    return session


@retry_deadlocks
def session_end_by_staff(*, session_id: int, staff_user: User) -> GameSession:
    """Staff end a running session now (admin action and REST both land here)."""
    session = GameSession.objects.select_related("table__hall").filter(pk=session_id).first()
    if session is None:
        raise exceptions.SessionNotFound()
    hall_staff_require(user=staff_user, hall=session.table.hall)
    if session.ended_at is not None:
        raise exceptions.SessionAlreadyFinished()
    finished = session_finish(session_id=session.pk, early=True)
    if finished is None:
        raise exceptions.SessionAlreadyFinished()
    return finished
