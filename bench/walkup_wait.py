"""How honest the walk-up queue's wait estimate is: simulated busy evenings replayed, and for every party the
range it was told when it joined (apps/walkup/estimate.py, the function the live queue uses, with the inputs
the queue reads: booked ends, walk-ins running, bookings to come, the parties ahead, game lengths and
no-shows measured on the evenings before) set against the wait it really had.

Every evening is drawn from the distributions below with a fixed seed, so a run repeats exactly:

- a hall of 10 tables (8 pool, 2 snooker), open 18:00-02:00, 5 minutes' tidy-up between games, games of
  15-240 minutes in 15-minute steps, an offer waits 5 minutes for its answer;
- bookings: each table has 0-3 bookings an evening (1.4 on average), starting on the quarter hour, 60, 90 or
  120 minutes long; a booked game ends at its booked end;
- walk-up parties arrive as a Poisson process: 4 an hour from 18:00, 11 an hour 19:30-23:00, 6 an hour
  after; 80% take any table, 15% want pool, 5% snooker; each says it wants 60, 90 or 120 minutes (1:2:1);
- a walk-in game lasts a log-normal time (median 55 minutes, sigma 0.45, at least 15), cut at the party's
  minutes or the next booking; 10% of parties do not answer their offer (they left), the others answer
  after 0.5-3 minutes (uniform); a party declines a table limited by a booking when its game does not fit,
  and keeps its place;
- the queue: when a table is free (or being tidied) with room before its next booking, the first waiting
  party that fits is offered it, as apps/walkup/services.py does (whole tables before limited ones, a party
  with no preference leaves wanted kinds to those who want them, then the lowest number).

The real wait is from joining until the table the party took was ready to play. Parties that never
answered their offer are left out; a party still waiting at closing counts as a miss when that is past its
range (else it is left out: its real wait is unknown). Baseline in the same run: the desk's rule of
thumb, (parties ahead + 1) x the mean game / the tables, with a range of half to twice that.

`make bench` runs 8 measured evenings after 5 of history; `BENCH_MODE=full` runs 40 after 10.
"""

import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.walkup.estimate import GameLengths, PartyNow, Rules, TableNow, estimate

QUICK = os.environ.get("BENCH_MODE", "quick") != "full"
SEED = int(os.environ.get("BENCH_SEED", "13"))
HISTORY_EVENINGS, MEASURED_EVENINGS = (5, 8) if QUICK else (10, 40)
SAMPLES = 200  # WALKUP_ESTIMATE_SAMPLES, as deployed
STEP = 0.1  # minutes per tick of the simulation
OPEN_MINUTES = 8 * 60  # 18:00-02:00
BUFFER, MIN_GAME, GAME_STEP, MAX_GAME, OFFER_MINUTES = 5, 15, 15, 240, 5
TABLES = [(n, "pool") for n in range(1, 9)] + [(9, "snooker"), (10, "snooker")]
NO_SHOW, GAME_MEDIAN, GAME_SIGMA = 0.10, 55.0, 0.45
PEAK_PER_HOUR = 11.0
EPOCH = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)


def arrival_rate(minute: float) -> float:
    """Parties an hour at this minute of the evening."""
    if minute < 90:
        return 4.0
    if minute < 300:
        return PEAK_PER_HOUR
    return 6.0


@dataclass
class Table:
    number: int
    kind: str
    bookings: list[tuple[float, float]]
    # The game on it: (start, booked end, real end, walk-in or not), or None.
    game: tuple[float, float, float, bool] | None = None
    last_end: float = -1e9
    offered_to: int | None = None


@dataclass
class Party:
    id: int
    joined: float
    kind: str
    minutes: int
    length: float  # how long its game would last if nothing cut it
    shows: bool
    answer_delay: float
    estimate: tuple[int, int, int] | None = None
    baseline: tuple[float, float, float] | None = None
    offered_at: float | None = None  # when the table it took was ready to play
    seated: bool = False
    gone: bool = False
    declined: set[tuple[int, float | None]] = field(default_factory=set)


@dataclass
class Offer:
    party: Party
    table: Table
    made: float
    ready: float
    until: float | None


@dataclass
class History:
    """What the hall has measured so far, as apps.walkup.selectors reads it from its tables."""

    lengths: list[tuple[float, bool]] = field(default_factory=list)  # (minutes, ran to its booked end)
    no_shows: int = 0
    answers: list[float] = field(default_factory=list)  # of the offers taken

    def no_show_rate(self) -> float:
        taken_or_lapsed = self.no_shows + len(self.answers)
        return self.no_shows / taken_or_lapsed if taken_or_lapsed >= 10 else 0.1

    def answer_delays(self) -> tuple[float, ...]:
        return tuple(self.answers[-1000:]) if len(self.answers) >= 10 else (0.5, 1.0, 1.5, 2.0)


def draw_bookings(rng: random.Random) -> list[tuple[float, float]]:
    bookings: list[tuple[float, float]] = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 2, 3])):
        minutes = rng.choice([60, 90, 120])
        start = 15 * rng.randrange(0, (OPEN_MINUTES - minutes) // 15 + 1)
        if all(start + minutes + BUFFER <= other or other_end + BUFFER <= start for other, other_end in bookings):
            bookings.append((float(start), float(start + minutes)))
    return sorted(bookings)


def draw_parties(rng: random.Random, first_id: int) -> list[Party]:
    parties, minute = [], 0.0
    while True:
        # Thinning: the busiest rate, keeping each arrival with the share the rate at its minute allows.
        minute += rng.expovariate(PEAK_PER_HOUR / 60)
        if minute >= OPEN_MINUTES - 60:
            return parties
        if rng.random() > arrival_rate(minute) / PEAK_PER_HOUR:
            continue
        roll = rng.random()
        parties.append(
            Party(
                id=first_id + len(parties),
                joined=minute,
                kind="" if roll < 0.8 else ("pool" if roll < 0.95 else "snooker"),
                minutes=rng.choice([60, 90, 90, 120]),
                length=max(15.0, rng.lognormvariate(math.log(GAME_MEDIAN), GAME_SIGMA)),
                shows=rng.random() >= NO_SHOW,
                answer_delay=rng.uniform(0.5, 3.0),
            )
        )


def when(minute: float) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def ready_at(table: Table, now: float) -> float:
    if table.game is not None:
        return max(now, table.game[1]) + BUFFER
    return max(now, table.last_end + BUFFER)


def next_booking(table: Table, after: float) -> tuple[float, float] | None:
    return next(
        ((s, e) for s, e in table.bookings if s > after - 1e-9 and (table.game is None or s >= table.game[1])), None
    )


def offerable(table: Table, now: float) -> tuple[bool, float, float | None]:
    """(free for an offer, ready at, until): what apps.walkup.selectors.table_states works out."""
    if table.game is not None or any(s <= now < e for s, e in table.bookings):
        return False, 0.0, None
    ready = max(now, table.last_end + BUFFER)
    coming = next_booking(table, now)
    window_end = coming[0] - BUFFER if coming else None
    fits = window_end is None or window_end - ready >= MIN_GAME
    until = window_end if window_end is not None and window_end < ready + MAX_GAME else None
    return ready <= now + BUFFER and fits, ready, until


def tell(
    party: Party, tables: list[Table], waiting: list[Party], offers: dict[int, Offer], history: History, now: float
):
    """The estimate the party is told as it joins, from what the queue knows now."""
    table_now = []
    for table in tables:
        walk_in_started = None
        ready = ready_at(table, now)
        if table.game is not None and table.game[3]:
            walk_in_started = when(table.game[0])
        offer = offers.get(table.number)
        bookings = tuple(
            (when(s), when(e)) for s, e in table.bookings if s > now and (table.game is None or s >= table.game[1])
        )
        table_now.append(
            TableNow(
                id=table.number,
                number=table.number,
                kind=table.kind,
                ready_at=when(ready),
                walk_in_started=walk_in_started,
                bookings=bookings,
                offered_to=offer.party.id if offer else None,
                offer_expires=when(offer.made + OFFER_MINUTES) if offer else None,
            )
        )
    rules = Rules(
        buffer_minutes=BUFFER,
        min_minutes=MIN_GAME,
        step_minutes=GAME_STEP,
        offer_minutes=OFFER_MINUTES,
        no_show_rate=history.no_show_rate(),
        answer_delays=history.answer_delays(),
    )
    parties = [PartyNow(id=p.id, kind=p.kind, minutes=p.minutes) for p in waiting]
    result = estimate(
        now=when(now),
        tables=table_now,
        parties=parties,
        lengths=GameLengths(
            [m for m, cut in history.lengths[-2000:] if not cut], [m for m, cut in history.lengths[-2000:] if cut]
        ),
        rules=rules,
        samples=SAMPLES,
        seed=party.id,
    )
    wait = result.waits.get(party.id)
    if wait is not None:
        party.estimate = (wait.low, wait.typical, wait.high)
    mean_game = statistics.fmean(m for m, _cut in history.lengths) if history.lengths else 60.0
    guess = (len(waiting)) * mean_game / len(tables)
    party.baseline = (guess / 2, guess, guess * 2)


def dispatch(tables: list[Table], waiting: list[Party], offers: dict[int, Offer], history: History, now: float):
    free = []
    for table in tables:
        ok, ready, until = offerable(table, now)
        if ok and table.number not in offers:
            free.append((table, ready, until))
    if not free:
        return
    offered_parties = {offer.party.id for offer in offers.values()}
    wanted: dict[str, int] = {}
    for party in waiting:
        if party.kind and party.id not in offered_parties:
            wanted[party.kind] = wanted.get(party.kind, 0) + 1
    for party in waiting:
        if party.id in offered_parties:
            continue
        fitting = [
            (t, r, u)
            for t, r, u in free
            if (not party.kind or t.kind == party.kind) and (t.number, u) not in party.declined
        ]
        if not fitting:
            continue
        table, ready, until = min(
            fitting,
            key=lambda f: (
                f[2] is not None,
                -(f[2] - f[1]) if f[2] is not None else 0,
                wanted.get(f[0].kind, 0) if not party.kind else 0,
                f[0].number,
            ),
        )
        free.remove((table, ready, until))
        if party.kind:
            wanted[party.kind] -= 1
        offers[table.number] = Offer(party=party, table=table, made=now, ready=ready, until=until)


def evening(rng: random.Random, history: History, first_id: int) -> list[Party]:
    """Play one evening; every party of it, with what it was told and what happened."""
    tables = [Table(number=n, kind=k, bookings=draw_bookings(rng)) for n, k in TABLES]
    everyone = draw_parties(rng, first_id)
    arrivals = list(everyone)
    waiting: list[Party] = []
    offers: dict[int, Offer] = {}
    now = 0.0
    while now <= OPEN_MINUTES:
        for table in tables:
            if table.game is not None and table.game[2] <= now:  # a game ends
                start, booked_end, real_end, walk_in = table.game
                if walk_in:
                    history.lengths.append((real_end - start, real_end >= booked_end))
                table.last_end, table.game = real_end, None
            for start, end in table.bookings:  # a booked game starts
                if table.game is None and start <= now < start + STEP:
                    table.game = (start, end, end, False)
        while arrivals and arrivals[0].joined <= now:
            party = arrivals.pop(0)
            party.joined = now  # it joins at this tick: its wait and what it is told both start here
            waiting.append(party)
            tell(party, tables, waiting, offers, history, now)
        for number, offer in list(offers.items()):
            party = offer.party
            if not party.shows:
                if now >= offer.made + OFFER_MINUTES:  # lapses: a no-show, the party is gone
                    history.no_shows += 1
                    party.gone = True
                    waiting.remove(party)
                    del offers[number]
                continue
            if now < offer.made + party.answer_delay:
                continue
            del offers[number]
            start = max(now, offer.ready)
            room = (offer.until - start) if offer.until is not None else float("inf")
            if room < party.minutes:  # its game does not fit before the booking: declines, keeps its place
                party.declined.add((number, offer.until))
                continue
            history.answers.append(now - offer.made)
            # Its wait ends when the table it takes is ready to play (offered while it was still tidied).
            party.offered_at, party.seated = max(offer.made, offer.ready), True
            waiting.remove(party)
            booked = min(party.minutes, room)
            offer.table.game = (start, start + booked, start + min(party.length, booked), True)
        dispatch(tables, waiting, offers, history, now)
        now += STEP
    return everyone


def replay(seed: int) -> tuple[list[Party], History]:
    """The history evenings, then the measured ones; the parties of the measured ones."""
    rng = random.Random(seed)
    history = History()
    measured: list[Party] = []
    next_id = 1
    for index in range(HISTORY_EVENINGS + MEASURED_EVENINGS):
        everyone = evening(random.Random(rng.random()), history, next_id)
        next_id += len(everyone) + 1
        if index >= HISTORY_EVENINGS:
            measured.extend(everyone)
    return measured, history


def accuracy(parties: list[Party], which: str) -> dict[str, float]:
    inside, errors, widths, counted = 0, [], [], 0
    for party in parties:
        told = party.estimate if which == "estimate" else party.baseline
        if told is None or party.gone:
            continue
        low, typical, high = told
        if not party.seated:
            # Still waiting at closing: it waited at least until then, outside the range if that is past it.
            if OPEN_MINUTES - party.joined > high:
                counted += 1
                errors.append(OPEN_MINUTES - party.joined - typical)
                widths.append(high - low)
            continue
        assert party.offered_at is not None
        real = party.offered_at - party.joined
        counted += 1
        inside += low <= round(real) <= high  # waits are told in whole minutes
        errors.append(abs(typical - real))
        widths.append(high - low)
    return {
        "counted": counted,
        "inside": inside / counted if counted else float("nan"),
        "median_error": statistics.median(errors) if errors else float("nan"),
        "p90_error": sorted(errors)[int(0.9 * (len(errors) - 1))] if errors else float("nan"),
        "width": statistics.median(widths) if widths else float("nan"),
    }


def main() -> None:
    started = time.monotonic()
    parties, _history = replay(SEED)
    ours, desk = accuracy(parties, "estimate"), accuracy(parties, "baseline")
    waits = [p.offered_at - p.joined for p in parties if p.seated and p.offered_at is not None]
    no_shows = sum(p.gone for p in parties)
    print(f"\nWalk-up wait estimate  [{os.cpu_count()} cores, {'quick' if QUICK else 'full'} mode, seed {SEED}]")
    print(
        f"  {MEASURED_EVENINGS} evenings measured after {HISTORY_EVENINGS} of history: {len(parties)} parties, "
        f"{ours['counted']} seated, {no_shows} no-shows; real waits p50 {statistics.median(waits):.0f} min, "
        f"p90 {sorted(waits)[int(0.9 * (len(waits) - 1))]:.0f} min, max {max(waits):.0f} min"
    )
    rows = [
        ("figure", "estimate (apps/walkup)", "desk rule of thumb (baseline)"),
        ("real wait inside the stated range", f"{ours['inside']:.1%}", f"{desk['inside']:.1%}"),
        (
            "median absolute error of the typical wait",
            f"{ours['median_error']:.1f} min",
            f"{desk['median_error']:.1f} min",
        ),
        ("90th percentile absolute error", f"{ours['p90_error']:.1f} min", f"{desk['p90_error']:.1f} min"),
        ("median width of the range", f"{ours['width']:.0f} min", f"{desk['width']:.0f} min"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"  target: inside the range at least 80% of the time: {'met' if ours['inside'] >= 0.8 else 'NOT met'}")
    print(f"  ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
