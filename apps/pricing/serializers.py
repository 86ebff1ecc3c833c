from datetime import datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.core.fields import OptionalOffsetDateTimeField
from apps.halls.models import TableKind
from apps.pricing.models import WEEKDAY_NAMES, PriceList
from apps.pricing.rates import Rate
from apps.pricing.selectors import Quote

_DATETIME = serializers.DateTimeField()
_KINDS = [("", "every kind"), *TableKind.choices]


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def weekdays_bits(names: list[str]) -> int:
    return sum(1 << WEEKDAY_NAMES.index(name) for name in set(names))


def weekdays_names(bits: int) -> list[str]:
    return [name for index, name in enumerate(WEEKDAY_NAMES) if bits & (1 << index)]


class RatePeriodSerializer(serializers.Serializer):
    """A rate period, as sent and as answered (the RatePeriod shape)."""

    table_kind = serializers.ChoiceField(
        choices=_KINDS, required=False, allow_blank=True, default="", help_text='The kind of table; "": every kind.'
    )
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAY_NAMES),
        min_length=1,
        max_length=7,
        help_text="Days it applies on: mon, tue, wed, thu, fri, sat, sun.",
    )
    start_time = serializers.TimeField(help_text="Wall clock in the hall's time zone, whole minutes.")
    end_time = serializers.TimeField(
        help_text="Wall clock in the hall's time zone; 00:00 is midnight at the day's end."
    )
    hourly_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), help_text="Price per hour in the hall's currency."
    )
    member_hourly_rate = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Price per hour for the hall's members; null: the same as `hourly_rate`.",
    )
    label = serializers.CharField(  # type: ignore[assignment]  # the field's name; DRF pops declared fields
        max_length=40, required=False, allow_blank=True, default="", help_text='Shown on quotes, e.g. "happy hour".'
    )


class PriceListSerializer(serializers.Serializer):
    """The PriceList shape (built by `price_list_data`)."""

    id = serializers.IntegerField(help_text="The version's id.")
    hall = serializers.IntegerField(help_text="The hall's id.")
    valid_from = serializers.DateTimeField(help_text="Sessions that start from this moment on are priced by it.")
    rounding_minutes = serializers.IntegerField(
        help_text="Played time is billed in started blocks of this many minutes (1: exact minutes)."
    )
    minimum_charge = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="The least a game costs.")
    currency = serializers.CharField(help_text="ISO 4217 code of the hall's prices.")
    periods = RatePeriodSerializer(many=True, help_text="Rate periods; for each kind they cover the week once.")


class PriceListInputSerializer(serializers.Serializer):
    valid_from = OptionalOffsetDateTimeField(
        required=False,
        help_text="When the new version takes over (default now; not in the past); without an offset, the hall's "
        "time zone.",
    )
    rounding_minutes = serializers.ChoiceField(
        choices=PriceList.Rounding.values, help_text="1 (exact minutes), 15, 30 or 60: started blocks billed."
    )
    minimum_charge = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), required=False, default=Decimal("0.00")
    )
    periods = RatePeriodSerializer(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]


class QuoteInputSerializer(serializers.Serializer):
    start_time = OptionalOffsetDateTimeField(
        help_text="ISO 8601 date-time; without an offset it is read in the hall's time zone."
    )
    duration = serializers.IntegerField(min_value=1, max_value=24 * 60, help_text="Length in minutes.")


class QuoteLineSerializer(serializers.Serializer):
    start_time = serializers.DateTimeField(help_text="Start of this part.")
    end_time = serializers.DateTimeField(help_text="End of this part.")
    minutes = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="Real minutes in this part.")
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="Price per hour of this part.")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="What this part costs.")
    label = serializers.CharField(  # type: ignore[assignment]  # the field's name; DRF pops declared fields
        help_text='The rate period\'s label, e.g. "happy hour"; may be empty.'
    )


class QuoteSerializer(serializers.Serializer):
    """The Quote shape (built by `quote_data`)."""

    table = serializers.IntegerField(help_text="The table's id.")
    table_number = serializers.IntegerField(help_text="Number of the table inside the hall.")
    kind = serializers.ChoiceField(choices=TableKind.choices, help_text="What is played on the table.")
    start_time = serializers.DateTimeField(help_text="Start of the quoted time.")
    end_time = serializers.DateTimeField(help_text="End of the billed time (the start plus `billed_minutes`).")
    billed_minutes = serializers.IntegerField(help_text="The time rounded up to started blocks of the rounding.")
    rounding_minutes = serializers.IntegerField(help_text="Size of the billed blocks, minutes.")
    member = serializers.BooleanField(help_text="Whether the member rate applies (the caller is a member).")
    price_list = serializers.IntegerField(
        allow_null=True, help_text="Id of the price list version used; null: the table's own hourly rate."
    )
    currency = serializers.CharField(help_text="ISO 4217 code of the hall's prices.")
    lines = QuoteLineSerializer(many=True, help_text="How the price is made up: one line per rate crossed.")
    minimum_charge = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="The least a game costs.")
    total = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The price: the lines' sum, at least the minimum charge."
    )


def _time(value: datetime) -> str:
    return str(_DATETIME.to_representation(value))


def rate_data(rate: Rate) -> dict[str, Any]:
    return {
        "table_kind": rate.kind,
        "weekdays": weekdays_names(rate.weekdays),
        "start_time": f"{rate.start:%H:%M:%S}",
        "end_time": f"{rate.end:%H:%M:%S}",
        "hourly_rate": _money(rate.hourly_rate),
        "member_hourly_rate": _money(rate.member_hourly_rate) if rate.member_hourly_rate is not None else None,
        "label": rate.label,
    }


def rates_from_input(periods: list[dict[str, Any]]) -> list[Rate]:
    return [
        Rate(
            weekdays=weekdays_bits(period["weekdays"]),
            start=period["start_time"],
            end=period["end_time"],
            hourly_rate=period["hourly_rate"],
            member_hourly_rate=period.get("member_hourly_rate"),
            kind=period.get("table_kind", ""),
            label=period.get("label", ""),
        )
        for period in periods
    ]


def price_list_data(price_list: PriceList, rates: list[Rate]) -> dict[str, Any]:
    return {
        "id": price_list.pk,
        "hall": price_list.hall_id,
        "valid_from": _time(price_list.valid_from),
        "rounding_minutes": price_list.rounding_minutes,
        "minimum_charge": _money(price_list.minimum_charge),
        "currency": price_list.hall.currency,
        "periods": [rate_data(rate) for rate in rates],
    }


def quote_data(quote: Quote) -> dict[str, Any]:
    price = quote.price
    return {
        "table": quote.table.pk,
        "table_number": quote.table.number,
        "kind": quote.table.kind,
        "start_time": _time(price.start),
        "end_time": _time(price.end),
        "billed_minutes": price.billed_minutes,
        "rounding_minutes": price.rounding_minutes,
        "member": price.member,
        "price_list": quote.price_list_id,
        "currency": quote.table.hall.currency,
        "lines": [
            {
                "start_time": _time(line.start),
                "end_time": _time(line.end),
                "minutes": _money(line.minutes),
                "hourly_rate": _money(line.hourly_rate),
                "amount": _money(line.amount),
                "label": line.label,
            }
            for line in price.lines
        ],
        "minimum_charge": _money(price.minimum_charge),
        "total": _money(price.total),
    }
