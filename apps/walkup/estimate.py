"""How long each waiting party will wait, as a range, on plain values (no database).

What is known: when each table's running game is booked to end, which running games are walk-ins (those end
when the players leave, so their end is drawn from how long walk-in games in this hall really last, given
how long they have run already), the bookings to come (a table is offered only for a slot long enough before
its next booking), the parties ahead and what they want, how often offered parties do not answer, and how
long an offer waits for its answer. Many evenings are played forward from now, each with its own draws of
game lengths and no-shows, the queue taking tables in its order as the live dispatcher does; each party's
wait is read from every one of them, and the range is the 5th to the 95th percentile (the typical wait
is the median). A wait ends when the table the party takes is ready to play (tidied); the live queue offers
it a few minutes earlier, as it frees.

`bench/walkup_wait.py` replays simulated evenings and measures how often the real wait fell in the range.
"""

import bisect
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

LOW_QUANTILE, HIGH_QUANTILE = 0.05, 0.95


@dataclass(frozen=True)
class TableNow:
    """A table as the queue sees it at `now`."""

    id: int
    number: int
    kind: str
    # When play could start on it if its running game ends at its booked end (the end plus the tidy-up
    # time); `now` or a little later for a free table.
    ready_at: datetime
    # Set when the running game is a walk-in: it may end earlier, when the players leave.
    walk_in_started: datetime | None = None
    # Live bookings to come, (start, end), by start.
    bookings: tuple[tuple[datetime, datetime], ...] = ()
    # The queue entry holding a pending offer of it, and until when that offer waits for an answer.
    offered_to: int | None = None
    offer_expires: datetime | None = None


@dataclass(frozen=True)
class PartyNow:
    id: int
    kind: str  # "" for any kind
    minutes: int  # how long it wants to play (the hall's default when it did not say)


@dataclass(frozen=True)
class Rules:
    buffer_minutes: int  # the hall's tidy-up time between two games of a table
    min_minutes: int  # the shortest game a table is offered for
    step_minutes: int  # game lengths go in steps of this
    offer_minutes: int  # how long an offer waits for its answer
    no_show_rate: float  # share of offered parties that never answer
    answer_delays: tuple[float, ...] = (1.0,)  # minutes answered offers took (drawn from)


@dataclass(frozen=True)
class Wait:
    low: int
    typical: int
    high: int


@dataclass
class Estimate:
    waits: dict[int, Wait] = field(default_factory=dict)  # by party id
    # When each busy table will typically be ready again (by table id), for "tables about to free".
    table_ready: dict[int, datetime] = field(default_factory=dict)


class GameLengths:
    """How long walk-in games lasted, in minutes. A game that ran to its booked end was cut short: the party
    would have played longer had it booked longer, so it only says "at least this long"; drawing skips
    from such a game to a longer one (a Kaplan-Meier estimate, drawn from)."""

    def __init__(self, complete: Sequence[float], cut_short: Sequence[float] = ()) -> None:
        games = sorted([(m, False) for m in complete if m > 0] + [(m, True) for m in cut_short if m > 0])
        self.minutes = [minutes for minutes, _cut in games] or [60.0]
        self.cut = [cut for _minutes, cut in games] or [False]

    def __len__(self) -> int:
        return len(self.minutes)

    def draw(self, rng: random.Random, played: float = 0.0) -> float:
        """A game's length, given that it has lasted `played` minutes already."""
        while True:
            first_longer = bisect.bisect_right(self.minutes, played)
            if first_longer >= len(self.minutes):
                return played + rng.expovariate(1 / 5)  # longer than any game on record: near its end
            pick = rng.randrange(first_longer, len(self.minutes))
            if not self.cut[pick]:
                return self.minutes[pick]
            played = self.minutes[pick]


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def slot_on_table(table_ready: datetime, bookings: Sequence[tuple[datetime, datetime]], rules: Rules, *, need: int):
    """The earliest moment from `table_ready` on when a game of at least `need` minutes fits before the
    table's next booking (and the tidy-up time before it); bookings move it past their end."""
    buffer = timedelta(minutes=rules.buffer_minutes)
    moment = table_ready
    for start, end in bookings:
        if end + buffer <= moment:
            continue
        if start - buffer - moment >= timedelta(minutes=need):
            return moment
        moment = max(moment, end + buffer)
    return moment


def _window(moment: datetime, bookings: Sequence[tuple[datetime, datetime]], buffer: timedelta) -> float | None:
    """Minutes from `moment` to the table's next booking (less the tidy-up), or None when it has none."""
    for start, end in bookings:
        if end + buffer <= moment:
            continue
        return _minutes(start - buffer - moment) if start - buffer >= moment else 0.0
    return None


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _demand(parties: Sequence[PartyNow]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for party in parties:
        if party.kind:
            wanted[party.kind] = wanted.get(party.kind, 0) + 1
    return wanted


def estimate(
    *,
    now: datetime,
    tables: Sequence[TableNow],
    parties: Sequence[PartyNow],
    lengths: GameLengths,
    rules: Rules,
    samples: int = 200,
    seed: int = 0,
) -> Estimate:
    """The waits of the parties (in queue order) and when busy tables will typically be ready."""
    rng = random.Random(seed)
    buffer = timedelta(minutes=rules.buffer_minutes)
    offered = {table.offered_to: table for table in tables if table.offered_to is not None}
    minutes_of = {party.id: max(rules.min_minutes, party.minutes) for party in parties}
    # A party offered a slot before a booking that its game does not fit declines it and keeps its place.
    declining = {
        party_id
        for party_id, table in offered.items()
        if (window := _window(max(table.ready_at, now), table.bookings, buffer)) is not None
        and window < minutes_of.get(party_id, rules.min_minutes)
    }
    waiting = [party for party in parties if party.id not in offered or party.id in declining]
    demand = _demand(waiting)
    waits: dict[int, list[float]] = {party.id: [] for party in waiting}
    readies: dict[int, list[float]] = {table.id: [] for table in tables}
    for _ in range(max(1, samples)):
        ready: dict[int, datetime] = {}
        for table in tables:
            moment = table.ready_at
            if table.walk_in_started is not None:
                played = _minutes(now - table.walk_in_started)
                game_end = table.walk_in_started + timedelta(minutes=lengths.draw(rng, played))
                moment = min(moment, max(now, game_end) + buffer)
            if table.offered_to in declining:
                moment = max(moment, now + timedelta(minutes=rng.choice(rules.answer_delays)))
            elif table.offered_to is not None:
                # The party it is offered to plays on it, or does not answer and it passes on.
                if rng.random() < rules.no_show_rate:
                    moment = max(moment, table.offer_expires or now)
                else:
                    start = max(moment, now + timedelta(minutes=rng.choice(rules.answer_delays)))
                    window = _window(start, table.bookings, buffer)
                    limit = min(minutes_of.get(table.offered_to, 240), window if window is not None else 240)
                    moment = start + timedelta(minutes=min(lengths.draw(rng), max(limit, 0)) + rules.buffer_minutes)
            ready[table.id] = moment
            readies[table.id].append(_minutes(moment - now))
        for party in waiting:
            best: tuple[tuple[datetime, int, int], TableNow] | None = None
            # A party takes a slot before a booking only when its game fits in it (else it declines).
            need = max(rules.min_minutes, party.minutes)
            for table in tables:
                if party.kind and table.kind != party.kind:
                    continue
                start = slot_on_table(ready[table.id], table.bookings, rules, need=need)
                # A party with no preference leaves the kinds others ask for to them, when it can.
                preference = demand.get(table.kind, 0) if not party.kind else 0
                key = (max(start, now), preference, table.number)
                if best is None or key < best[0]:
                    best = (key, table)
            if best is None:
                continue
            slot, chosen = best[0][0], best[1]
            # A slot before a booking that frees sooner but is too short for this party is offered to it
            # all the same, and declined: the next party gets it an answer later.
            for table in tables:
                moment = max(ready[table.id], now)
                window = _window(moment, table.bookings, buffer)
                if (
                    (not party.kind or table.kind == party.kind)
                    and moment < slot
                    and window is not None
                    and rules.min_minutes <= window < need
                ):
                    declined_at = max(now, moment - buffer) + timedelta(minutes=rng.choice(rules.answer_delays))
                    ready[table.id] = max(moment, declined_at)
            waits[party.id].append(_minutes(slot - now))
            # The live queue offers a table as it frees, while it is being tidied.
            offered_at = max(now, slot - buffer)
            if rng.random() < rules.no_show_rate:
                ready[chosen.id] = max(slot, offered_at + timedelta(minutes=rules.offer_minutes))
                continue
            start = max(slot, offered_at + timedelta(minutes=rng.choice(rules.answer_delays)))
            limit = party.minutes
            for booking_start, _end in chosen.bookings:
                if booking_start > start:
                    limit = min(limit, int(_minutes(booking_start - buffer - start)))
                    break
            played = min(lengths.draw(rng), float(max(limit, rules.min_minutes)))
            ready[chosen.id] = start + timedelta(minutes=played) + buffer
    result = Estimate()
    for party_id, values in waits.items():
        if values:
            result.waits[party_id] = Wait(
                low=math.floor(_quantile(values, LOW_QUANTILE)),
                typical=round(statistics.median(values)),
                high=math.ceil(_quantile(values, HIGH_QUANTILE)),
            )
    for party_id, table in offered.items():
        if party_id in declining:
            continue
        ready_in = max(0, round(_minutes(table.ready_at - now)))  # offered: waits for the tidy-up only
        result.waits[party_id] = Wait(ready_in, ready_in, ready_in)
    for table_id, values in readies.items():
        result.table_ready[table_id] = now + timedelta(minutes=statistics.median(values))
    return result
