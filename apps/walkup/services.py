"""The walk-up queue's rules: joining and leaving, tables offered when they free, offers confirmed, declined
or lapsed, parties seated by hand. REST, the socket, the admin and Celery all land here.

Concurrency: every change of a hall's queue first locks that hall's HallQueue row, so the changes of one
queue happen one at a time on whichever server; then the rows it changes. Seating books the walk-in through
`reservations.services.reservation_create` (which locks the table, then the players) always after the queue
lock, never before, so locks are taken in one order everywhere. The unique open_entry / open_table /
active_player columns hold one offer per party, one offer per table and one waiting entry per player even if
a lock were bypassed, and the table's own lock holds one game per table.

Side effects after commit: the lapse task of each offer at its exact time, the offer pushed to the party
(with a stored TABLE_READY notification), and the queue pushed to the hall's staff, the public wait list and
every waiting party.
"""

import logging
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.halls.hours import within_opening_hours
from apps.halls.models import PoolHouse, PoolTable
from apps.halls.services import hall_staff_require
from apps.notifications.models import Notification
from apps.notifications.services import notification_send
from apps.pricing.selectors import Quote, price_on_table
from apps.realtime import frames
from apps.realtime.push import push_to_hall_queue, push_to_user, push_to_waitlist
from apps.reservations import services as reservations  # a module import: reservations tell the queue (README)
from apps.reservations.exceptions import ReservationError, TableAlreadyBooked, TableNotFound
from apps.reservations.models import Reservation
from apps.walkup import (
    exceptions,
    selectors,
    tasks,  # a module import: the tasks call these services
)
from apps.walkup.models import HallQueue, Offer, QueueEntry

logger = logging.getLogger(__name__)

# A lapse task may fire a hair before its ETA (clocks of broker, worker and database differ slightly).
EXPIRY_TOLERANCE = timedelta(seconds=1)
# A declined slot is not offered to the same party again for this long.
DECLINE_MEMORY = timedelta(hours=12)


def _ensure_queue(hall_id: int) -> None:
    """Make the hall's queue row before the transaction that locks it: two first joins inserting it inside
    their transactions would deadlock on its unique key. Outside a transaction, a losing insert just fails."""
    with suppress(IntegrityError):  # made by a concurrent first use
        HallQueue.objects.get_or_create(hall_id=hall_id)


def _lock_queue(hall_id: int) -> None:
    """Take the hall's queue lock for this transaction; every entry point made the row already (a queue
    with a party in it has one)."""
    if not HallQueue.objects.select_for_update().filter(hall_id=hall_id).exists():
        _ensure_queue(hall_id)
        HallQueue.objects.select_for_update().get(hall_id=hall_id)


def _announce(hall_id: int, *, also: Iterable[int] = ()) -> None:
    """After commit: push the queue to its watchers and its parties, and to the players of entries `also`
    (those that just stopped waiting)."""
    also = list(also)
    transaction.on_commit(lambda: queue_announce(hall_id=hall_id, also=also), robust=True)


def queue_announce(*, hall_id: int, also: Iterable[int] = ()) -> None:
    """Push the queue as it is now: the staff's view, the public wait list, each waiting party's place and
    wait, and the status of the entries `also`."""
    hall = PoolHouse.objects.get(pk=hall_id)
    view = selectors.queue_view(hall=hall, now=timezone.now())
    push_to_hall_queue(hall_id, frames.walkup_queue(view))
    push_to_waitlist(hall_id, frames.waitlist(view))
    for entry_view in view.entries:
        if entry_view.entry.player is not None:
            push_to_user(entry_view.entry.player.user_id, frames.queue_status(entry_view.entry, entry_view))
    for entry in QueueEntry.objects.filter(pk__in=list(also)).select_related("player"):
        if entry.player is not None and entry.status != QueueEntry.Status.WAITING:
            push_to_user(entry.player.user_id, frames.queue_status(entry, None))


def _default_name(player: Player) -> str:
    """An initial, unless the party chooses to show more."""
    source = (player.user.first_name or player.user.username or "?").strip()
    return f"{source[:1].upper()}."


def _entry_create(
    *,
    hall: PoolHouse,
    name: str,
    party_size: int,
    table_kind: str,
    minutes: int | None,
    player: Player | None,
    created_by: User | None,
) -> QueueEntry:
    _lock_queue(hall.pk)
    now = timezone.now()  # read under the lock: the queue's order is the order the joins got the lock
    if not within_opening_hours(hall, now, now + timedelta(minutes=hall.min_booking_minutes)):
        raise exceptions.HallClosed(
            f"{hall.title} is closed now; it is open {hall.open_time:%H:%M}-{hall.close_time:%H:%M} ({hall.time_zone})."
        )
    if table_kind and not PoolTable.objects.filter(hall=hall, kind=table_kind).exists():
        raise exceptions.NoSuchTableKind(f"{hall.title} has no {table_kind.replace('_', ' ')} tables.")
    if player is not None and QueueEntry.objects.filter(active_player=player).exists():
        raise exceptions.AlreadyInQueue()
    try:
        with transaction.atomic():
            entry = QueueEntry.objects.create(
                hall=hall,
                player=player,
                active_player=player,
                name=name,
                party_size=party_size,
                table_kind=table_kind,
                minutes=minutes,
                joined_at=now,
                created_by=created_by,
            )
    except IntegrityError as error:
        raise exceptions.AlreadyInQueue() from error  # a concurrent join of the same player won
    _dispatch(hall, now)
    _announce(hall.pk)
    return entry


def queue_join(
    *,
    hall: PoolHouse,
    player: Player,
    party_size: int,
    table_kind: str = "",
    minutes: int | None = None,
    name: str | None = None,
) -> QueueEntry:
    """The player's party joins the hall's queue. `name` is what the wait page shows (an initial unless the
    party writes more). Refused while the hall is closed, for a kind of table it does not have, and when the
    player already waits somewhere. A table free now is offered at once."""
    shown = (name or "").strip() or _default_name(player)
    _ensure_queue(hall.pk)
    with transaction.atomic():
        return _entry_create(
            hall=hall,
            name=shown,
            party_size=party_size,
            table_kind=table_kind,
            minutes=minutes,
            player=player,
            created_by=player.user,
        )


def queue_add_at_desk(
    *, hall: PoolHouse, user: User, name: str, party_size: int, table_kind: str = "", minutes: int | None = None
) -> QueueEntry:
    """Staff add a party standing at the desk (no account; staff answer its offers)."""
    hall_staff_require(user=user, hall=hall)
    _ensure_queue(hall.pk)
    with transaction.atomic():
        return _entry_create(
            hall=hall,
            name=name.strip(),
            party_size=party_size,
            table_kind=table_kind,
            minutes=minutes,
            player=None,
            created_by=user,
        )


def _end_waiting(entry: QueueEntry, status: str, now: datetime) -> None:
    entry.status = status
    entry.active_player = None
    entry.left_at = now
    entry.save(update_fields=["status", "active_player", "left_at", "reservation"])


def _close_offer(offer: Offer, status: str, now: datetime) -> None:
    offer.status = status
    offer.answered_at = now
    offer.open_entry = None
    offer.open_table = None
    offer.save(update_fields=["status", "answered_at", "open_entry", "open_table"])


def _locked_entry(entry_id: int) -> QueueEntry:
    entry = QueueEntry.objects.select_for_update().select_related("hall", "player__user").get(pk=entry_id)
    if entry.status != QueueEntry.Status.WAITING:
        raise exceptions.EntryNotWaiting()
    return entry


def _pending_offer_of(entry: QueueEntry) -> Offer | None:
    return Offer.objects.select_for_update().filter(entry=entry, status=Offer.Status.PENDING).first()


def queue_leave(*, entry_id: int, user: User) -> QueueEntry:
    """The party leaves the queue (its player), or staff remove it. A table offered to it passes on."""
    found = selectors.queue_entry_get(entry_id=entry_id, user=user)
    with transaction.atomic():
        now = timezone.now()
        _lock_queue(found.hall_id)
        entry = _locked_entry(found.pk)
        offer = _pending_offer_of(entry)
        if offer is not None:
            _close_offer(offer, Offer.Status.WITHDRAWN, now)
        by_party = entry.player is not None and entry.player.user_id == user.pk
        _end_waiting(entry, QueueEntry.Status.LEFT if by_party else QueueEntry.Status.REMOVED, now)
        _dispatch(entry.hall, now)
        _announce(entry.hall_id, also=[entry.pk])
    return entry


def _fits(entry: QueueEntry, state: selectors.TableState) -> bool:
    return not entry.table_kind or state.table.kind == entry.table_kind


def _best_table(entry: QueueEntry, fitting: list[selectors.TableState], wanted: dict[str, int]) -> selectors.TableState:
    """Of the free tables that fit the party: a whole table before one limited by a booking (or closing), the
    longest such slot first; a party with no preference leaves the kinds the parties behind it ask for to
    them; then the lowest number."""
    return min(
        fitting,
        key=lambda s: (
            s.until is not None,
            -(s.until - s.ready_at).total_seconds() if s.until is not None else 0,
            wanted.get(s.table.kind, 0) if not entry.table_kind else 0,
            s.table.number,
        ),
    )


def _dispatch(hall: PoolHouse, now: datetime) -> list[Offer]:
    """Offer every table that is free (or being tidied) and not yet offered to the first waiting party that
    fits it. Runs under the queue lock."""
    offers = selectors.pending_offers(hall_id=hall.pk)
    offered_tables = {offer.table_id for offer in offers.values()}
    tables = [
        state
        for state in selectors.table_states(hall=hall, now=now)
        if state.offerable and state.table.pk not in offered_tables
    ]
    if not tables:
        return []
    waiting = [entry for entry in selectors.waiting_entries(hall_id=hall.pk) if entry.pk not in offers]
    declined = selectors.declined_slots(hall_id=hall.pk, since=now - DECLINE_MEMORY)
    wanted: dict[str, int] = {}
    for entry in waiting:
        if entry.table_kind:
            wanted[entry.table_kind] = wanted.get(entry.table_kind, 0) + 1
    made = []
    for entry in waiting:
        fitting = [
            state for state in tables if _fits(entry, state) and (entry.pk, state.table.pk, state.until) not in declined
        ]
        if not fitting:
            continue
        state = _best_table(entry, fitting, wanted)
        tables.remove(state)
        if entry.table_kind:
            wanted[entry.table_kind] -= 1
        made.append(_offer_make(entry, state, now))
    return made


def _offer_make(entry: QueueEntry, state: selectors.TableState, now: datetime) -> Offer:
    offer = Offer.objects.create(
        entry=entry,
        table=state.table,
        offered_at=now,
        expires_at=now + timedelta(minutes=settings.WALKUP_OFFER_MINUTES),
        ready_at=state.ready_at,
        until=state.until,
        open_entry=entry,
        open_table=state.table,
    )
    zone = ZoneInfo(entry.hall.time_zone)
    limit = f", to play until {state.until.astimezone(zone):%H:%M}" if state.until is not None else ""
    body = (
        f"Table {state.table.number} at {entry.hall.title} is ready{limit}: "
        f"confirm within {settings.WALKUP_OFFER_MINUTES} minutes."
    )
    if entry.player is not None:
        notification_send(
            recipient=entry.player, type=Notification.Type.TABLE_READY, body=body, extra=str(offer.pk), sent_by=None
        )
        user_id, frame = entry.player.user_id, frames.table_offered(offer, entry)
        transaction.on_commit(lambda: push_to_user(user_id, frame), robust=True)
    transaction.on_commit(lambda: tasks.schedule_offer_expiry(offer), robust=True)
    return offer


@transaction.atomic
def queue_dispatch(*, hall_id: int) -> list[Offer]:
    """A table of the hall freed (a game ended, a booking was cancelled, staff ended a game): offer it, and
    any other free table, to the first waiting parties that fit. Reservations call this after commit."""
    if not selectors.hall_has_waiting(hall_id=hall_id):
        _announce(hall_id)  # the public list shows the tables about to free
        return []
    hall = PoolHouse.objects.get(pk=hall_id)
    _lock_queue(hall_id)
    made = _dispatch(hall, timezone.now())
    _announce(hall_id)
    return made


def queue_table_freed(*, table_id: int) -> list[Offer]:
    """A table freed (reservations call this after commit): its hall's queue moves on."""
    hall_id = PoolTable.objects.filter(pk=table_id).values_list("hall_id", flat=True).first()
    return queue_dispatch(hall_id=hall_id) if hall_id is not None else []


def _locked_offer(offer_id: int, now: datetime) -> Offer:
    offer = Offer.objects.select_for_update().select_related("table__hall").get(pk=offer_id)
    if offer.status == Offer.Status.EXPIRED:
        raise exceptions.OfferExpired()
    if offer.status != Offer.Status.PENDING:
        raise exceptions.OfferAnswered()
    if offer.expires_at <= now:
        raise exceptions.OfferExpired()  # its lapse task is due: nothing changes here
    return offer


def _walk_in_minutes(entry: QueueEntry, table: PoolTable, *, start: datetime, until: datetime | None) -> int:
    """The game's booked length: what the party wants (or the default), cut to the time left before the
    table's next booking, in the hall's steps."""
    hall = entry.hall
    minutes = selectors.party_minutes(hall=hall, entry=entry)
    if until is not None:
        minutes = min(minutes, int((until - start).total_seconds() // 60))
    minutes -= minutes % hall.booking_step_minutes
    if minutes < hall.min_booking_minutes:
        raise TableAlreadyBooked(f"Table {table.number} is booked soon: there is no room for a game before it.")
    return minutes


def _seat(entry: QueueEntry, table: PoolTable, *, start: datetime, minutes: int, user: User) -> None:
    """Book the walk-in through the one booking service (the table's and the players' locks and rules)."""
    reservation = reservations.reservation_create(
        table=table, start=start, minutes=minutes, player=entry.player, created_by=user, walk_in=True
    )
    entry.reservation = reservation
    _end_waiting(entry, QueueEntry.Status.SEATED, timezone.now())


def _withdraw_and_redispatch(offer_id: int) -> None:
    """The offered table cannot be had any more (booked meanwhile, or the player is playing elsewhere): the
    offer is withdrawn, the party keeps its place and the queue moves on."""
    with transaction.atomic():
        offer = Offer.objects.select_related("entry__hall").get(pk=offer_id)
        _lock_queue(offer.entry.hall_id)
        offer = Offer.objects.select_for_update().select_related("entry__hall").get(pk=offer_id)
        if offer.status == Offer.Status.PENDING:
            _close_offer(offer, Offer.Status.WITHDRAWN, timezone.now())
            _dispatch(offer.entry.hall, timezone.now())
        _announce(offer.entry.hall_id)


def offer_confirm(*, offer_id: int, user: User) -> QueueEntry:
    """The party (its player, or staff for it) takes the offered table: a walk-in starts on it through the
    same service as any walk-in, from when the table is tidied, for the party's time or what is left before
    the next booking. Refused when the offer has lapsed or been answered; when the table or the player
    cannot be booked any more, the offer is withdrawn, the party keeps its place, and the refusal is told."""
    found = selectors.offer_get(offer_id=offer_id, user=user)
    try:
        with transaction.atomic():
            now = timezone.now()
            _lock_queue(found.entry.hall_id)
            offer = _locked_offer(found.pk, now)
            entry = _locked_entry(offer.entry_id)
            start = max(now, offer.ready_at)
            minutes = _walk_in_minutes(entry, offer.table, start=start, until=offer.until)
            _seat(entry, offer.table, start=start, minutes=minutes, user=user)
            _close_offer(offer, Offer.Status.CONFIRMED, now)
            _announce(entry.hall_id, also=[entry.pk])
            return entry
    except ReservationError:
        _withdraw_and_redispatch(found.pk)
        raise


@transaction.atomic
def offer_decline(*, offer_id: int, user: User) -> QueueEntry:
    """The party does not take the offered table, which passes to the next party. Declining a table limited
    by a booking ahead keeps the party's place (that slot is not offered to it again); declining a whole
    table gives up the place."""
    found = selectors.offer_get(offer_id=offer_id, user=user)
    now = timezone.now()
    _lock_queue(found.entry.hall_id)
    offer = _locked_offer(found.pk, now)
    entry = _locked_entry(offer.entry_id)
    _close_offer(offer, Offer.Status.DECLINED, now)
    if offer.until is None:
        _end_waiting(entry, QueueEntry.Status.LEFT, now)
    _dispatch(entry.hall, now)
    _announce(entry.hall_id, also=[entry.pk])
    return entry


@transaction.atomic
def offer_expire(*, offer_id: int) -> Offer | None:
    """An offer nobody answered in time: it lapses, the party counts as a no-show and leaves the queue, and
    the table goes to the next party. A no-op (None) when it was answered or is not due (a stale task)."""
    found = Offer.objects.select_related("entry").filter(pk=offer_id).first()
    if found is None:
        return None
    now = timezone.now()
    _lock_queue(found.entry.hall_id)
    offer = Offer.objects.select_for_update().select_related("entry__hall").get(pk=offer_id)
    if offer.status != Offer.Status.PENDING or offer.expires_at > now + EXPIRY_TOLERANCE:
        return None
    _close_offer(offer, Offer.Status.EXPIRED, now)
    entry = QueueEntry.objects.select_for_update().get(pk=offer.entry_id)
    if entry.status == QueueEntry.Status.WAITING:
        _end_waiting(entry, QueueEntry.Status.NO_SHOW, now)
    _dispatch(offer.entry.hall, now)
    _announce(offer.entry.hall_id, also=[entry.pk])
    return offer


def _first_free_table(entry: QueueEntry, states: list[selectors.TableState]) -> PoolTable:
    """The table "seat on the first free table" takes: the one offered to the party, else the best free one
    that fits it and is not offered to another party (NO_FREE_TABLE when there is none)."""
    offers = selectors.pending_offers(hall_id=entry.hall_id)
    own = offers.get(entry.pk)
    taken = {offer.table_id for entry_id, offer in offers.items() if entry_id != entry.pk}
    fitting = [state for state in states if state.offerable and _fits(entry, state) and state.table.pk not in taken]
    if own is not None and any(state.table.pk == own.table_id for state in fitting):
        return own.table
    if not fitting:
        kind = f"{entry.table_kind.replace('_', ' ')} " if entry.table_kind else ""
        raise exceptions.NoFreeTable(
            f"No {kind}table is free for {entry.name} now (or none with room for a game before a booking or "
            "closing); choose a table or wait for one to free."
        )
    return _best_table(entry, fitting, {}).table


def entry_seat(*, entry_id: int, table_number: int | None, user: User) -> QueueEntry:
    """Staff seat a waiting party by hand: a walk-in from when the table is tidied, on the table of their
    choice, or with `table_number` None on the first free table that fits it (`_first_free_table`). A
    pending offer of that table to another party is withdrawn (that party keeps its place), and the party's
    own pending offer of another table passes on."""
    found = selectors.queue_entry_get(entry_id=entry_id, user=user)
    hall_staff_require(user=user, hall=found.hall)
    chosen = None
    if table_number is not None:
        chosen = PoolTable.objects.filter(hall_id=found.hall_id, number=table_number).first()
        if chosen is None:
            raise TableNotFound(f"{found.hall.title} has no table {table_number}.")
    with transaction.atomic():
        now = timezone.now()
        _lock_queue(found.hall_id)
        entry = _locked_entry(found.pk)
        states = selectors.table_states(hall=entry.hall, now=now)
        table = chosen if chosen is not None else _first_free_table(entry, states)
        stale = Offer.objects.select_for_update().filter(Q(open_entry=entry) | Q(open_table=table))
        for offer in stale:
            _close_offer(offer, Offer.Status.WITHDRAWN, now)
        state = next((s for s in states if s.table.pk == table.pk), None)
        # A busy table (or one out of service) is refused by the booking service with its reason.
        start = max(now, state.ready_at) if state is not None and not state.busy else now
        until = state.until if state is not None else None
        _seat(entry, table, start=start, minutes=_walk_in_minutes(entry, table, start=start, until=until), user=user)
        _dispatch(entry.hall, now)
        _announce(entry.hall_id, also=[entry.pk])
    return entry


@dataclass(frozen=True)
class Extension:
    """A seated party's game made longer: its entry and booking, the minutes added, the price of the whole
    game at its new length (`quote`) and what the added time adds to it (`added_cost`)."""

    entry: QueueEntry
    reservation: Reservation
    added_minutes: int
    quote: Quote
    added_cost: Decimal


def entry_extend(*, entry_id: int, minutes: int, user: User) -> Extension:
    """A party seated from the queue asks for more time (its player, or the hall's staff for a desk party):
    granted through the booking service (`reservation_extend`: up to the next booking less the tidy-up
    time, and closing time), priced by the price list like any booking. Refused with the booking's codes,
    or QUEUE_ENTRY_NOT_SEATED for a party the queue has not seated."""
    entry = selectors.queue_entry_get(entry_id=entry_id, user=user)
    if entry.status != QueueEntry.Status.SEATED or entry.reservation_id is None:
        raise exceptions.EntryNotSeated()
    reservation = reservations.reservation_extend(reservation_id=entry.reservation_id, minutes=minutes)
    table, player, start = reservation.table, reservation.player_reserving, reservation.start_time
    quote = price_on_table(table=table, start=start, end=reservation.end_time, player=player)
    earlier_end = reservation.end_time - timedelta(minutes=minutes)
    earlier = price_on_table(table=table, start=start, end=earlier_end, player=player)
    _announce(entry.hall_id)  # the table frees later: the waits move
    return Extension(
        entry=entry,
        reservation=reservation,
        added_minutes=minutes,
        quote=quote,
        added_cost=quote.total - earlier.total,
    )


def _hall_closed_for(entry: QueueEntry, now: datetime) -> None:
    """The hall closed with the party still waiting: it leaves the queue, told by a stored notification."""
    offer = _pending_offer_of(entry)
    if offer is not None:
        _close_offer(offer, Offer.Status.WITHDRAWN, now)
    _end_waiting(entry, QueueEntry.Status.CLOSED, now)
    if entry.player is not None:
        notification_send(
            recipient=entry.player,
            type=Notification.Type.QUEUE_CLOSED,
            body=f"{entry.hall.title} has closed before a table was free for you; the queue is cleared.",
            extra=str(entry.pk),
            sent_by=None,
        )


def queue_close(*, hall_id: int) -> list[QueueEntry]:
    """Clear the queue of a hall that has closed (its opening hours in its own zone, across midnight too):
    every party still waiting leaves it (`closed`), its offer withdrawn, each player told by a stored
    `QCL` notification. A no-op while the hall is open. The sweep calls this for every hall with a queue."""
    with transaction.atomic():
        now = timezone.now()
        hall = PoolHouse.objects.get(pk=hall_id)
        if within_opening_hours(hall, now, now):
            return []
        _lock_queue(hall_id)
        cleared = [_locked_entry(entry.pk) for entry in selectors.waiting_entries(hall_id=hall_id)]
        for entry in cleared:
            _hall_closed_for(entry, now)
        if cleared:
            _announce(hall_id, also=[entry.pk for entry in cleared])
    return cleared


def queue_sweep() -> dict[str, int]:
    """Backs up the exact-time tasks and keeps the estimates fresh: lapse the overdue offers, clear the queues
    of halls that have closed, offer free tables (one freed while no worker ran, or back in service), and
    push every queue again."""
    now = timezone.now()
    report = {"expired": 0, "closed": 0, "offered": 0, "announced": 0}
    for offer_id in selectors.overdue_offers(now=now):
        report["expired"] += offer_expire(offer_id=offer_id) is not None
    for hall_id in selectors.halls_with_queues():
        report["closed"] += len(queue_close(hall_id=hall_id))
        report["offered"] += len(queue_dispatch(hall_id=hall_id))
        report["announced"] += 1
    return report
