"""Writing prices: publishing a price list version and marking members. REST and the admin both land here."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.core.upsert import upsert
from apps.halls.models import PoolHouse
from apps.halls.services import hall_staff_require
from apps.pricing import exceptions
from apps.pricing.models import Membership, PriceList, RatePeriod
from apps.pricing.rates import Rate, rates_check

# A version published "now" from a form may carry a moment a little in the past by the time it is saved.
PUBLISH_GRACE = timedelta(minutes=2)


@transaction.atomic
def price_list_publish(
    *,
    hall: PoolHouse,
    user: User,
    rates: list[Rate],
    rounding_minutes: int,
    minimum_charge: Decimal,
    valid_from: datetime | None = None,
) -> PriceList:
    """Publish a new version of the hall's prices, in force from `valid_from` (default now) for sessions
    that start from then on. Earlier versions stay as they were: sessions that started under them keep
    their prices. Refused, with nothing written, when the periods overlap, leave a gap in the week, or
    `valid_from` lies in the past."""
    hall_staff_require(user=user, hall=hall)
    now = timezone.now()
    valid_from = valid_from or now
    if valid_from < now - PUBLISH_GRACE:
        raise exceptions.PriceListInPast()
    if not rates:
        raise exceptions.RatePeriodInvalid("A price list has at least one rate period.")
    if rounding_minutes not in PriceList.Rounding.values:
        raise exceptions.PricingError(
            f"Rounding is one of {', '.join(str(value) for value in PriceList.Rounding.values)} minutes."
        )
    if minimum_charge < 0:
        raise exceptions.PricingError("The minimum charge is not negative.")
    rates_check(rates)
    price_list = PriceList.objects.create(
        hall=hall,
        valid_from=max(valid_from, now - PUBLISH_GRACE),
        rounding_minutes=rounding_minutes,
        minimum_charge=minimum_charge,
        created_by=user,
    )
    RatePeriod.objects.bulk_create(
        RatePeriod(
            price_list=price_list,
            table_kind=rate.kind,
            weekdays=rate.weekdays,
            start_time=rate.start,
            end_time=rate.end,
            hourly_rate=rate.hourly_rate,
            member_hourly_rate=rate.member_hourly_rate,
            label=rate.label,
        )
        for rate in rates
    )
    return price_list


def membership_set(*, hall: PoolHouse, player: Player, valid_until: date, user: User) -> Membership:
    """Make the player a member of the hall up to and including `valid_until` (the hall's date), or move the
    end of an existing membership; one membership per player and hall, even under races."""
    hall_staff_require(user=user, hall=hall)
    return upsert(Membership, hall=hall, player=player, defaults={"valid_until": valid_until, "created_by": user})
