"""Reading prices: the version in force at a moment, memberships, and the price of a stretch on a table."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from apps.accounts.models import Player
from apps.halls.hours import within_opening_hours
from apps.halls.models import PoolHouse, PoolTable
from apps.pricing.models import EVERY_DAY, Membership, PriceList, RatePeriod
from apps.pricing.rates import Price, Rate, price, rates_for_kind
from apps.reservations.exceptions import OutsideOpeningHours


@dataclass(frozen=True)
class Quote:
    """A price on a table, with where its rates came from: a price list version, or (None) the table's own
    hourly rate billed in the hall's billing increment."""

    table: PoolTable
    price: Price
    price_list_id: int | None

    @property
    def total(self) -> Decimal:
        return self.price.total


def price_list_in_force(*, hall_id: int, at: datetime) -> PriceList | None:
    """The newest version published for a moment at or before `at`, with its periods."""
    return (
        PriceList.objects.filter(hall_id=hall_id, valid_from__lte=at)
        .order_by("-valid_from", "-id")
        .prefetch_related(Prefetch("periods", queryset=RatePeriod.objects.order_by("table_kind", "start_time", "id")))
        .first()
    )


def price_list_rates(price_list: PriceList) -> list[Rate]:
    return [
        Rate(
            weekdays=period.weekdays,
            start=period.start_time,
            end=period.end_time,
            hourly_rate=period.hourly_rate,
            member_hourly_rate=period.member_hourly_rate,
            kind=period.table_kind,
            label=period.label,
        )
        for period in price_list.periods.all()
    ]


def membership_active(*, hall: PoolHouse, player: Player | None, at: datetime) -> bool:
    """Whether the player is a member of the hall on the hall's own date of `at`."""
    if player is None:
        return False
    day = at.astimezone(ZoneInfo(hall.time_zone)).date()
    return Membership.objects.filter(hall=hall, player=player, valid_until__gte=day).exists()


def memberships_of_hall(*, hall: PoolHouse) -> list[Membership]:
    return list(Membership.objects.filter(hall=hall).select_related("player__user").order_by("valid_until", "id"))


def price_on_table(*, table: PoolTable, start: datetime, end: datetime, player: Player | None) -> Quote:
    """The price of playing on `table` from `start` to `end`, for `player` (the booker, or the player a
    walk-in is for; None for an anonymous walk-in). The version in force at `start` applies; a hall without
    one, or a kind of table its version does not price, pays the table's own hourly rate in started blocks
    of the hall's billing increment."""
    hall = table.hall
    price_list = price_list_in_force(hall_id=hall.pk, at=start)
    rates = rates_for_kind(price_list_rates(price_list), table.kind) if price_list is not None else []
    member = membership_active(hall=hall, player=player, at=start)
    zone = ZoneInfo(hall.time_zone)
    if price_list is None or not rates:
        own = [Rate(weekdays=EVERY_DAY, start=time(0), end=time(0), hourly_rate=table.hourly_rate)]
        quoted = price(
            rates=own,
            zone=zone,
            start=start,
            end=end,
            rounding_minutes=hall.billing_increment_minutes,
            minimum_charge=Decimal("0.00"),
            member=member,
        )
        return Quote(table=table, price=quoted, price_list_id=None)
    quoted = price(
        rates=rates,
        zone=zone,
        start=start,
        end=end,
        rounding_minutes=price_list.rounding_minutes,
        minimum_charge=price_list.minimum_charge,
        member=member,
    )
    return Quote(table=table, price=quoted, price_list_id=price_list.pk)


def price_quote(*, table: PoolTable, start: datetime, minutes: int, player: Player | None) -> Quote:
    """A quote before booking: the slot must lie within the hall's opening hours. A start without an
    offset is read in the hall's time zone."""
    hall = table.hall
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(hall.time_zone))
    start = start.astimezone(UTC)  # then adding minutes adds real time, across a daylight-saving change too
    end = start + timedelta(minutes=minutes)
    if not within_opening_hours(hall, start, end):
        raise OutsideOpeningHours(
            f"{hall.title} is open {hall.open_time:%H:%M}-{hall.close_time:%H:%M} ({hall.time_zone})."
        )
    return price_on_table(table=table, start=start, end=end, player=player)
