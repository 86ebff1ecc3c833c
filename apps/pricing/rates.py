"""The arithmetic of a price list, on plain values (no database): which rate covers a moment, whether a
set of periods covers the week exactly once, and the price of a stretch of time.

Rates are wall-clock periods in the hall's zone, so a stretch is cut where the zone's offset changes
(daylight saving) and then, within each piece, where the wall clock crosses a period boundary. Each piece
is charged for the real time it lasts: the hour that a spring change skips is never charged, the hour an
autumn change repeats is charged twice, each time at the rate of its wall-clock time.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from apps.halls.models import TableKind
from apps.pricing import exceptions
from apps.pricing.models import WEEKDAY_NAMES

DAY_SECONDS = 24 * 3600
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    """One rate period as plain values; `kind` "" applies to every kind of table."""

    weekdays: int  # bit 0 = Monday ... bit 6 = Sunday
    start: time
    end: time  # time(0) = midnight at the end of the day
    hourly_rate: Decimal
    member_hourly_rate: Decimal | None = None
    kind: str = ""
    label: str = ""

    @property
    def start_second(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_second(self) -> int:
        seconds = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return seconds or DAY_SECONDS

    def on(self, weekday: int) -> bool:
        return bool(self.weekdays & (1 << weekday))

    def rate_for(self, *, member: bool) -> Decimal:
        return self.member_hourly_rate if member and self.member_hourly_rate is not None else self.hourly_rate


@dataclass(frozen=True)
class Line:
    """A part of the billed time at one rate."""

    start: datetime
    end: datetime
    hourly_rate: Decimal
    amount: Decimal
    label: str

    @property
    def minutes(self) -> Decimal:
        return (Decimal((self.end - self.start).total_seconds()) / 60).quantize(CENT)


@dataclass(frozen=True)
class Price:
    start: datetime
    end: datetime
    billed_minutes: int
    rounding_minutes: int
    minimum_charge: Decimal
    member: bool
    lines: list[Line] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """The lines' sum, raised to the minimum charge (a game of no billed time costs nothing)."""
        if self.billed_minutes == 0:
            return Decimal("0.00")
        return max(self.subtotal, self.minimum_charge).quantize(CENT)


def _kind_name(kind: str) -> str:
    return TableKind(kind).label.lower() if kind else "all"


def _day_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday]


def _clock(second: int) -> str:
    return "24:00" if second == DAY_SECONDS else f"{second // 3600:02d}:{second % 3600 // 60:02d}"


def rates_check(rates: Iterable[Rate]) -> None:
    """Each period is sane, and the periods for every kind (and those for every kind, "") cover each day of
    the week from 00:00 to 24:00 exactly once."""
    rates = list(rates)
    for rate in rates:
        if not 0 < rate.weekdays < 1 << 7:
            raise exceptions.RatePeriodInvalid("A rate period applies on at least one weekday.")
        if rate.start.second or rate.end.second or rate.start.microsecond or rate.end.microsecond:
            raise exceptions.RatePeriodInvalid("Rate periods start and end on whole minutes.")
        if rate.start_second >= rate.end_second:
            raise exceptions.RatePeriodInvalid(
                f"A rate period ends after it starts (00:00 as the end is midnight): "
                f"{rate.start:%H:%M}-{rate.end:%H:%M}."
            )
        if rate.hourly_rate < 0 or (rate.member_hourly_rate is not None and rate.member_hourly_rate < 0):
            raise exceptions.RatePeriodInvalid("Rates are not negative.")
    for kind in ["", *TableKind.values]:
        applying = [rate for rate in rates if rate.kind == kind]
        if not applying:
            continue
        for weekday in range(7):
            spans = sorted((rate.start_second, rate.end_second) for rate in applying if rate.on(weekday))
            covered = 0
            for start, end in spans:
                if start < covered:
                    raise exceptions.RatePeriodsOverlap(
                        f"Two rate periods for {_kind_name(kind)} tables overlap on "
                        f"{_day_name(weekday)} at {_clock(start)}-{_clock(min(covered, end))}."
                    )
                if start > covered:
                    raise exceptions.RatePeriodsGap(
                        f"No rate for {_kind_name(kind)} tables on {_day_name(weekday)} "
                        f"{_clock(covered)}-{_clock(start)}."
                    )
                covered = end
            if covered < DAY_SECONDS:
                raise exceptions.RatePeriodsGap(
                    f"No rate for {_kind_name(kind)} tables on {_day_name(weekday)} {_clock(covered)}-24:00."
                )


def rates_for_kind(rates: Iterable[Rate], kind: str) -> list[Rate]:
    """The periods that price a kind of table: its own where it has some, else those for every kind."""
    rates = list(rates)
    own = [rate for rate in rates if rate.kind == kind]
    return own or [rate for rate in rates if rate.kind == ""]


def _offset_pieces(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut where the zone's UTC offset changes (found by the hour, then to the second)."""
    current = start
    while current < end:
        offset = current.astimezone(zone).utcoffset()
        probe = current
        change = end
        while probe < end:
            ahead = min(probe + timedelta(hours=1), end)
            if ahead.astimezone(zone).utcoffset() != offset:
                low, high = probe, ahead
                while high - low > timedelta(seconds=1):
                    middle = low + (high - low) / 2
                    if middle.astimezone(zone).utcoffset() == offset:
                        low = middle
                    else:
                        high = middle
                # Offsets change on whole seconds, and the change lies in (low, low + 1 s].
                change = datetime.fromtimestamp(math.floor(low.timestamp()) + 1, UTC)
                break
            probe = ahead
        yield current, change
        current = change


def _rate_at(rates: list[Rate], moment: datetime) -> Rate:
    """The period covering a local wall-clock moment (periods were checked to cover the week once)."""
    second = moment.hour * 3600 + moment.minute * 60 + moment.second
    weekday = moment.weekday()
    for rate in rates:
        if rate.on(weekday) and rate.start_second <= second < rate.end_second:
            return rate
    raise exceptions.RatePeriodsGap(f"No rate on {_day_name(weekday)} at {moment:%H:%M}.")


def _boundaries(rates: list[Rate], local_start: datetime, local_end: datetime) -> list[datetime]:
    """Wall-clock moments strictly inside (local_start, local_end) where a period starts or ends."""
    points = set()
    day: date = local_start.date()
    while datetime.combine(day, time(0)) < local_end:
        midnight = datetime.combine(day, time(0))
        points.add(midnight)
        for rate in rates:
            if rate.on(day.weekday()):
                points.add(midnight + timedelta(seconds=rate.start_second))
                points.add(midnight + timedelta(seconds=rate.end_second))
        day += timedelta(days=1)
    return sorted(point for point in points if local_start < point < local_end)


def price(
    *,
    rates: list[Rate],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    rounding_minutes: int,
    minimum_charge: Decimal,
    member: bool,
) -> Price:
    """The price of playing from `start` to `end` (aware datetimes) at these rates.

    The time is rounded up to started blocks of `rounding_minutes` (the billed time runs on from `start`),
    then each part is charged at the rate of its wall-clock time; parts at one rate in a row make one line.
    """
    # Arithmetic on aware datetimes of one zone is wall-clock arithmetic in Python: count in UTC.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    seconds = max(0.0, (end - start).total_seconds())
    billed_minutes = math.ceil(seconds / (60 * rounding_minutes)) * rounding_minutes if seconds else 0
    billed_end = start + timedelta(minutes=billed_minutes)
    pieces: list[tuple[datetime, datetime, Rate]] = []
    for piece_start, piece_end in _offset_pieces(zone, start, billed_end):
        local_start = piece_start.astimezone(zone).replace(tzinfo=None)
        local_end = local_start + (piece_end - piece_start)
        cuts = [local_start, *_boundaries(rates, local_start, local_end), local_end]
        for cut_start, cut_end in pairwise(cuts):
            rate = _rate_at(rates, cut_start)
            real_start = piece_start + (cut_start - local_start)
            real_end = piece_start + (cut_end - local_start)
            if pieces and pieces[-1][2] == rate and pieces[-1][1] == real_start:
                pieces[-1] = (pieces[-1][0], real_end, rate)
            else:
                pieces.append((real_start, real_end, rate))
    lines = []
    for piece_start, piece_end, rate in pieces:
        hourly = rate.rate_for(member=member)
        amount = (hourly * Decimal((piece_end - piece_start).total_seconds()) / 3600).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        lines.append(Line(start=piece_start, end=piece_end, hourly_rate=hourly, amount=amount, label=rate.label))
    return Price(
        start=start,
        end=billed_end,
        billed_minutes=billed_minutes,
        rounding_minutes=rounding_minutes,
        minimum_charge=minimum_charge,
        member=member,
        lines=lines,
    )
