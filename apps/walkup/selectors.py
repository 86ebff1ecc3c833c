"""Reading the walk-up queue: entries and offers as their owners and staff see them, what each table is
doing for the queue, how long walk-in games in a hall really last, and the queue with its wait estimates."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.halls.hours import closing_time, opening_window
from apps.halls.models import PoolHouse, PoolTable
from apps.halls.selectors import user_is_hall_staff
from apps.reservations.models import GameSession, Reservation
from apps.walkup import estimate
from apps.walkup.exceptions import EntryNotFound, OfferNotFound
from apps.walkup.models import Offer, QueueEntry

# Bookings further ahead than this do not change what the queue is offered now.
LOOKAHEAD = timedelta(hours=12)
# A share of no-shows is measured once this many offers have been answered or have lapsed.
NO_SHOW_MIN_OFFERS = 10


def _visible_to(user: User, entry: QueueEntry) -> bool:
    """A party's entry is seen by its player and by the hall's staff; to anybody else it does not exist."""
    if not user.is_authenticated:
        return False
    if entry.player is not None and entry.player.user_id == user.pk:
        return True
    return user_is_hall_staff(user=user, hall=entry.hall)


def queue_entry_get(*, entry_id: int | str, user: User) -> QueueEntry:
    entry = QueueEntry.objects.select_related("hall", "player__user").filter(pk=int(entry_id)).first()
    if entry is None or not _visible_to(user, entry):
        raise EntryNotFound()
    return entry


def offer_get(*, offer_id: int | str, user: User) -> Offer:
    offer = (
        Offer.objects.select_related("entry__hall", "entry__player__user", "table__hall")
        .filter(pk=int(offer_id))
        .first()
    )
    if offer is None or not _visible_to(user, offer.entry):
        raise OfferNotFound()
    return offer


def waiting_entries(*, hall_id: int) -> QuerySet[QueueEntry]:
    """The parties still waiting, in queue order (who joined first)."""
    return (
        QueueEntry.objects.filter(hall_id=hall_id, status=QueueEntry.Status.WAITING)
        .select_related("player__user")
        .order_by("joined_at", "id")
    )


def pending_offers(*, hall_id: int) -> dict[int, Offer]:
    """Pending offers of the hall by queue entry id."""
    offers = Offer.objects.filter(entry__hall_id=hall_id, status=Offer.Status.PENDING).select_related("table")
    return {offer.entry_id: offer for offer in offers}


def declined_slots(*, hall_id: int, since: datetime) -> set[tuple[int, int, datetime | None]]:
    """(entry, table, until) of limited offers declined lately: the same slot is not offered twice."""
    rows = Offer.objects.filter(
        entry__hall_id=hall_id, status=Offer.Status.DECLINED, offered_at__gte=since
    ).values_list("entry_id", "table_id", "until")
    return set(rows)


def hall_has_waiting(*, hall_id: int) -> bool:
    return QueueEntry.objects.filter(hall_id=hall_id, status=QueueEntry.Status.WAITING).exists()


def halls_with_queues() -> list[int]:
    """Halls with a party waiting or an offer pending (what the sweep looks after)."""
    waiting = QueueEntry.objects.filter(status=QueueEntry.Status.WAITING).values_list("hall_id", flat=True)
    return sorted(set(waiting))


def overdue_offers(*, now: datetime) -> list[int]:
    return list(
        Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now).values_list("pk", flat=True)[:500]
    )


@dataclass(frozen=True)
class TableState:
    """What a table means to the queue at a moment.

    `ready_at`: when play could start on it if its running game (if any) ends at its booked end, after the
    hall's tidy-up time. `offerable`: free (or being tidied) and with room for the shortest game before its
    next booking and closing time; `until`: when play must end for that booking (minus the tidy-up time) or
    because the hall closes, or None when both are further than the hall's longest game.
    """

    table: PoolTable
    ready_at: datetime
    busy: bool
    walk_in_started: datetime | None
    bookings: tuple[tuple[datetime, datetime], ...]
    offerable: bool
    until: datetime | None


def _walk_in_reservations(reservation_ids: list[int]) -> set[int]:
    """Of these reservations, the walk-ins: no player booked them, or the queue seated a party in them."""
    return set(
        Reservation.objects.filter(pk__in=reservation_ids)
        .filter(Q(player_reserving__isnull=True) | Q(walkup_entry__isnull=False))
        .values_list("pk", flat=True)
    )


def table_states(*, hall: PoolHouse, now: datetime) -> list[TableState]:
    """Every table in service of the hall, as the queue sees it (four short queries)."""
    buffer = timedelta(minutes=hall.cleaning_buffer_minutes)
    closes = closing_time(hall, now)  # no game runs past it; `now` itself while the hall is closed
    tables = list(PoolTable.objects.filter(hall=hall, out_of_service=False).order_by("number"))
    live = list(
        Reservation.objects.filter(
            table__hall=hall,
            status=Reservation.Status.BOOKED,
            end_time__gt=now - buffer,
            start_time__lt=now + LOOKAHEAD,
        )
        .order_by("start_time")
        .values("pk", "table_id", "start_time", "end_time")
    )
    running = {
        row["table_id"]: row
        for row in GameSession.objects.filter(table__hall=hall, ended_at__isnull=True).values(
            "table_id", "started_at", "reservation_id", "reservation__end_time"
        )
    }
    walk_ins = _walk_in_reservations([row["reservation_id"] for row in running.values()])
    by_table: dict[int, list[Any]] = {}
    for row in live:
        by_table.setdefault(row["table_id"], []).append(row)
    states = []
    for table in tables:
        rows = by_table.get(table.pk, [])
        session = running.get(table.pk)
        current = None
        busy_end: datetime | None
        if session is not None:
            current = next((row for row in rows if row["pk"] == session["reservation_id"]), None)
            busy_end = session["reservation__end_time"]
        else:
            current = next((row for row in rows if row["start_time"] <= now < row["end_time"]), None)
            busy_end = current["end_time"] if current is not None else None
        ready_at: datetime
        if busy_end is not None:
            ready_at = max(now, busy_end) + buffer
        else:
            ready_at = max([now, *(row["end_time"] + buffer for row in rows if row["end_time"] <= now)])
        # Bookings start on whole seconds: round up, or a start would fall inside the tidy-up time.
        if ready_at.microsecond:
            ready_at = ready_at.replace(microsecond=0) + timedelta(seconds=1)
        bookings = tuple(
            (row["start_time"], row["end_time"]) for row in rows if row is not current and row["start_time"] > now
        )
        next_start = bookings[0][0] if bookings else None
        window_end = next_start - buffer if next_start is not None else None
        if closes is not None and (window_end is None or closes < window_end):
            window_end = closes
        busy = busy_end is not None
        fits = window_end is None or window_end - ready_at >= timedelta(minutes=hall.min_booking_minutes)
        limited = window_end is not None and window_end < ready_at + timedelta(minutes=hall.max_booking_minutes)
        states.append(
            TableState(
                table=table,
                ready_at=ready_at,
                busy=busy,
                walk_in_started=session["started_at"] if session and session["reservation_id"] in walk_ins else None,
                bookings=bookings,
                offerable=not busy and ready_at <= now + buffer + timedelta(seconds=1) and fits,
                until=window_end if limited else None,
            )
        )
    return states


def _default_game_lengths() -> estimate.GameLengths:
    """Until a hall has its own history: lengths spread around WALKUP_TYPICAL_GAME_MINUTES (log-normal,
    half the games within about ±30% of it)."""
    typical, spread = float(settings.WALKUP_TYPICAL_GAME_MINUTES), 0.45
    normal = NormalDist()
    return estimate.GameLengths([typical * math.exp(spread * normal.inv_cdf((i + 0.5) / 100)) for i in range(100)])


def game_lengths_measured(*, hall: PoolHouse, now: datetime) -> estimate.GameLengths:
    """How long walk-in games in this hall really lasted, lately: those started on the same kind of day
    (Monday to Thursday, or Friday to Sunday) within two hours of this time of day when there are enough of
    them, else all of them, else the default until the hall has a history. A game that ran to its booked end
    (not ended early) counts as cut short: it would have lasted at least that."""
    since = now - timedelta(days=settings.WALKUP_HISTORY_DAYS)
    rows = list(
        GameSession.objects.filter(table__hall=hall, ended_at__isnull=False, started_at__gte=since)
        .filter(Q(reservation__player_reserving__isnull=True) | Q(reservation__walkup_entry__isnull=False))
        .order_by("-started_at")
        .values_list("started_at", "ended_at", "ended_early")[:5000]
    )
    enough = settings.WALKUP_MIN_HISTORY
    if len(rows) < enough:
        return _default_game_lengths()
    zone = ZoneInfo(hall.time_zone)
    local_now = now.astimezone(zone)
    weekend_now = local_now.weekday() >= 4
    minute_now = local_now.hour * 60 + local_now.minute
    similar: list[tuple[float, bool]] = []
    every: list[tuple[float, bool]] = []
    for started, ended, ended_early in rows:
        if ended is None:
            continue
        game = ((ended - started).total_seconds() / 60, not ended_early)
        every.append(game)
        local = started.astimezone(zone)
        apart = abs(local.hour * 60 + local.minute - minute_now)
        if (local.weekday() >= 4) == weekend_now and min(apart, 24 * 60 - apart) <= 120:
            similar.append(game)
    games = similar if len(similar) >= enough else every
    return estimate.GameLengths([m for m, cut in games if not cut], [m for m, cut in games if cut])


def no_show_rate(*, hall: PoolHouse, now: datetime) -> float:
    """The share of the hall's recent offers taken or lapsed that lapsed unanswered: how often an offered party
    does not come (a default until there are enough). A declined offer leaves the party waiting, so it is no
    outcome here."""
    since = now - timedelta(days=settings.WALKUP_HISTORY_DAYS)
    outcomes = list(
        Offer.objects.filter(entry__hall=hall, offered_at__gte=since)
        .filter(status__in=[Offer.Status.CONFIRMED, Offer.Status.EXPIRED])
        .values_list("status", flat=True)
    )
    if len(outcomes) < NO_SHOW_MIN_OFFERS:
        return float(settings.WALKUP_DEFAULT_NO_SHOW_RATE)
    return outcomes.count(Offer.Status.EXPIRED) / len(outcomes)


def answer_delays(*, hall: PoolHouse, now: datetime) -> tuple[float, ...]:
    """How long confirmed offers waited for their answer, in minutes (half a minute to two until measured)."""
    since = now - timedelta(days=settings.WALKUP_HISTORY_DAYS)
    delays = [
        (answered - offered).total_seconds() / 60
        for offered, answered in Offer.objects.filter(
            entry__hall=hall, offered_at__gte=since, status=Offer.Status.CONFIRMED, answered_at__isnull=False
        ).values_list("offered_at", "answered_at")[:1000]
        if answered is not None
    ]
    return tuple(delays) if len(delays) >= NO_SHOW_MIN_OFFERS else (0.5, 1.0, 1.5, 2.0)


def walk_in_rules(*, hall: PoolHouse, now: datetime) -> estimate.Rules:
    return estimate.Rules(
        buffer_minutes=hall.cleaning_buffer_minutes,
        min_minutes=hall.min_booking_minutes,
        step_minutes=hall.booking_step_minutes,
        offer_minutes=settings.WALKUP_OFFER_MINUTES,
        no_show_rate=no_show_rate(hall=hall, now=now),
        answer_delays=answer_delays(hall=hall, now=now),
    )


def party_minutes(*, hall: PoolHouse, entry: QueueEntry) -> int:
    """How long the party will play at most: what it asked for, or the default, within the hall's bounds."""
    wanted = entry.minutes or settings.WALKUP_DEFAULT_MINUTES
    return min(max(wanted, hall.min_booking_minutes), hall.max_booking_minutes)


@dataclass(frozen=True)
class EntryView:
    entry: QueueEntry
    position: int
    wait: estimate.Wait | None
    offer: Offer | None
    # The hall closes before the worst case: the party may not get a table before closing.
    past_closing: bool = False


@dataclass(frozen=True)
class TableFreeing:
    table: PoolTable
    ready_at: datetime


@dataclass(frozen=True)
class QueueView:
    """The waiting parties in order, each with its position, estimated wait and pending offer, and the busy
    tables expected to be ready within the next hour."""

    hall: PoolHouse
    now: datetime
    entries: list[EntryView]
    tables_freeing: list[TableFreeing]

    def of(self, entry_id: int) -> EntryView | None:
        return next((view for view in self.entries if view.entry.pk == entry_id), None)


def queue_view(*, hall: PoolHouse, now: datetime) -> QueueView:
    entries = list(waiting_entries(hall_id=hall.pk))
    offers = pending_offers(hall_id=hall.pk)
    states = table_states(hall=hall, now=now)
    offered_tables = {offer.table_id: offer for offer in offers.values()}
    tables = [
        estimate.TableNow(
            id=state.table.pk,
            number=state.table.number,
            kind=state.table.kind,
            ready_at=state.ready_at,
            walk_in_started=state.walk_in_started,
            bookings=state.bookings,
            offered_to=offered_tables[state.table.pk].entry_id if state.table.pk in offered_tables else None,
            offer_expires=offered_tables[state.table.pk].expires_at if state.table.pk in offered_tables else None,
        )
        for state in states
    ]
    parties = [
        estimate.PartyNow(id=entry.pk, kind=entry.table_kind, minutes=party_minutes(hall=hall, entry=entry))
        for entry in entries
    ]
    result = estimate.estimate(
        now=now,
        tables=tables,
        parties=parties,
        lengths=game_lengths_measured(hall=hall, now=now),
        rules=walk_in_rules(hall=hall, now=now),
        samples=settings.WALKUP_ESTIMATE_SAMPLES,
        # The same queue at the same minute gives the same figures, however often it is asked.
        seed=hash((hall.pk, int(now.timestamp()) // 60, len(entries))),
    )
    closes = closing_time(hall, now)
    # The last moment a party can still be seated for the shortest game before the hall closes.
    last_seat = closes - timedelta(minutes=hall.min_booking_minutes) if closes is not None else None

    def past_closing(wait: estimate.Wait | None) -> bool:
        return wait is not None and last_seat is not None and now + timedelta(minutes=wait.high) > last_seat

    views = [
        EntryView(
            entry=entry,
            position=index + 1,
            wait=result.waits.get(entry.pk),
            offer=offers.get(entry.pk),
            past_closing=past_closing(result.waits.get(entry.pk)),
        )
        for index, entry in enumerate(entries)
    ]
    soon = now + timedelta(hours=1)
    freeing = sorted(
        (
            TableFreeing(table=state.table, ready_at=result.table_ready[state.table.pk])
            for state in states
            if state.busy and result.table_ready[state.table.pk] <= soon
        ),
        key=lambda item: (item.ready_at, item.table.number),
    )
    return QueueView(hall=hall, now=now, entries=views, tables_freeing=freeing)


def queue_day_started(*, hall: PoolHouse, now: datetime) -> datetime:
    """When the hall's day began: its latest opening at or before `now`, in its own zone (an evening that
    runs past midnight is still that evening's day)."""
    local_day = now.astimezone(ZoneInfo(hall.time_zone)).date()
    openings = [opening_window(hall, local_day - timedelta(days=back))[0] for back in (0, 1)]
    return max(opens for opens in openings if opens <= now)


def queue_of_today(*, halls: QuerySet[PoolHouse], now: datetime) -> Q:
    """The entries that joined since each hall's day began (`queue_day_started`), for the admin's list."""
    today = Q(pk__in=[])
    for hall in halls:
        today |= Q(hall_id=hall.pk, joined_at__gte=queue_day_started(hall=hall, now=now))
    return today
