"""The arithmetic of prices on plain values: boundaries, rounding, the minimum, members, daylight saving."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.exceptions import DomainError
from apps.pricing.rates import Rate, price, rates_check, rates_for_kind

EVERY_DAY = 0b1111111
WEEKDAYS = 0b0011111
WEEKEND = 0b1100000
BERLIN = ZoneInfo("Europe/Berlin")


def happy_hour_rates() -> list[Rate]:
    """Weekdays 12.00 an hour, 17:00-19:00 happy hour at 6.00 (members 4.00); weekends 15.00."""
    return [
        Rate(WEEKDAYS, time(0), time(17), Decimal("12.00"), Decimal("9.00")),
        Rate(WEEKDAYS, time(17), time(19), Decimal("6.00"), Decimal("4.00"), label="happy hour"),
        Rate(WEEKDAYS, time(19), time(0), Decimal("12.00"), Decimal("9.00")),
        Rate(WEEKEND, time(0), time(0), Decimal("15.00")),
    ]


def quote(rates, start, end, rounding=1, minimum="0", member=False, zone=BERLIN):
    return price(
        rates=rates,
        zone=zone,
        start=start,
        end=end,
        rounding_minutes=rounding,
        minimum_charge=Decimal(minimum),
        member=member,
    )


def test_a_game_across_the_happy_hour_is_charged_each_part_at_its_own_rate():
    # Wednesday 16:30-19:30 in Berlin: 30 min at 12, 2 h at 6, 30 min at 12.
    start = datetime(2026, 3, 4, 16, 30, tzinfo=BERLIN)
    result = quote(happy_hour_rates(), start, start + timedelta(hours=3))
    assert [(line.hourly_rate, line.amount, line.label) for line in result.lines] == [
        (Decimal("12.00"), Decimal("6.00"), ""),
        (Decimal("6.00"), Decimal("12.00"), "happy hour"),
        (Decimal("12.00"), Decimal("6.00"), ""),
    ]
    assert result.lines[1].start == datetime(2026, 3, 4, 17, tzinfo=BERLIN)
    assert result.total == Decimal("24.00")


def test_members_pay_the_member_rate_where_there_is_one():
    start = datetime(2026, 3, 4, 16, 30, tzinfo=BERLIN)
    result = quote(happy_hour_rates(), start, start + timedelta(hours=1), member=True)
    assert [line.amount for line in result.lines] == [Decimal("4.50"), Decimal("2.00")]
    weekend = quote(
        happy_hour_rates(),
        datetime(2026, 3, 7, 20, tzinfo=BERLIN),
        datetime(2026, 3, 7, 21, tzinfo=BERLIN),
        member=True,
    )
    assert weekend.total == Decimal("15.00")  # no member rate on weekends: the plain one


def test_friday_night_into_saturday_changes_rate_at_midnight():
    start = datetime(2026, 3, 6, 23, 0, tzinfo=BERLIN)
    result = quote(happy_hour_rates(), start, start + timedelta(hours=2))
    assert [line.amount for line in result.lines] == [Decimal("12.00"), Decimal("15.00")]


@pytest.mark.parametrize(
    ("rounding", "minutes_played", "billed"),
    [(1, 61.2, 62), (15, 61, 75), (15, 60, 60), (30, 31, 60), (30, 1, 30), (60, 59, 60)],
)
def test_rounding_bills_started_blocks(rounding, minutes_played, billed):
    rates = [Rate(EVERY_DAY, time(0), time(0), Decimal("60.00"))]  # a unit a minute
    start = datetime(2026, 3, 4, 10, tzinfo=BERLIN)
    result = quote(rates, start, start + timedelta(minutes=minutes_played), rounding=rounding)
    assert result.billed_minutes == billed
    assert result.total == Decimal(billed)


def test_the_rounded_up_time_runs_on_at_the_rate_of_its_time():
    # 16:50-17:01 in started 15 minutes: 16:50-17:05 billed, 10 min at 12 and 5 min at 6.
    start = datetime(2026, 3, 4, 16, 50, tzinfo=BERLIN)
    result = quote(happy_hour_rates(), start, start + timedelta(minutes=11), rounding=15)
    assert [line.amount for line in result.lines] == [Decimal("2.00"), Decimal("0.50")]


def test_the_minimum_charge_raises_a_short_game_and_nothing_is_charged_for_no_time():
    start = datetime(2026, 3, 4, 10, tzinfo=BERLIN)
    short = quote(happy_hour_rates(), start, start + timedelta(minutes=10), minimum="5.00")
    assert short.subtotal == Decimal("2.00") and short.total == Decimal("5.00")
    nothing = quote(happy_hour_rates(), start, start, minimum="5.00")
    assert nothing.billed_minutes == 0 and nothing.total == Decimal("0.00")


def test_spring_forward_night_charges_real_time_at_wall_clock_rates():
    # Berlin, 29 March 2026: 02:00 becomes 03:00. Night rate 00:00-02:30 at 6, then 12 (a weekend day).
    rates = [
        Rate(EVERY_DAY, time(0), time(2, 30), Decimal("6.00")),
        Rate(EVERY_DAY, time(2, 30), time(0), Decimal("12.00")),
    ]
    start = datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)  # 00:00 UTC
    end = start.astimezone(UTC) + timedelta(hours=2)  # 02:00 UTC = 04:00 CEST: two real hours
    result = quote(rates, start, end)
    # 01:00-02:00 CET at 6 (one real hour), the skipped hour is never charged, 03:00-04:00 CEST at 12.
    assert [(line.hourly_rate, line.minutes) for line in result.lines] == [
        (Decimal("6.00"), Decimal("60.00")),
        (Decimal("12.00"), Decimal("60.00")),
    ]
    assert result.total == Decimal("18.00")


def test_fall_back_night_charges_the_repeated_hour_twice():
    # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET. Night rate until 02:30.
    rates = [
        Rate(EVERY_DAY, time(0), time(2, 30), Decimal("6.00")),
        Rate(EVERY_DAY, time(2, 30), time(0), Decimal("12.00")),
    ]
    start = datetime(2026, 10, 25, 2, 0, tzinfo=BERLIN)  # 02:00 CEST = 00:00 UTC
    end = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 CET: two real hours
    result = quote(rates, start, end)
    # 02:00-02:30 CEST at 6, 02:30-03:00 CEST at 12, 02:00-02:30 CET at 6 again, 02:30-03:00 CET at 12.
    assert [line.hourly_rate for line in result.lines] == [Decimal("6.00"), Decimal("12.00")] * 2
    assert sum(line.minutes for line in result.lines) == Decimal("120.00")
    assert result.total == Decimal("18.00")


def test_periods_that_overlap_or_leave_a_gap_are_refused_with_their_codes():
    with pytest.raises(DomainError) as overlap:
        rates_check([*happy_hour_rates(), Rate(0b0000001, time(18), time(20), Decimal("1"))])
    assert overlap.value.code == "RATE_PERIODS_OVERLAP"
    assert "mon" in overlap.value.detail
    with pytest.raises(DomainError) as gap:
        rates_check([r for r in happy_hour_rates() if r.label != "happy hour"])
    assert gap.value.code == "RATE_PERIODS_GAP" and "17:00-19:00" in gap.value.detail
    with pytest.raises(DomainError) as inverted:
        rates_check([Rate(EVERY_DAY, time(19), time(17), Decimal("1"))])
    assert inverted.value.code == "RATE_PERIOD_INVALID"
    # Periods of a kind replace those for every kind for that kind; each set covers the week on its own.
    both = [
        Rate(EVERY_DAY, time(0), time(0), Decimal("1")),
        Rate(EVERY_DAY, time(0), time(0), Decimal("2"), kind="snooker"),
    ]
    rates_check(both)
    assert [rate.hourly_rate for rate in rates_for_kind(both, "snooker")] == [Decimal("2")]
    assert [rate.hourly_rate for rate in rates_for_kind(both, "pool")] == [Decimal("1")]
    with pytest.raises(DomainError) as snooker_gap:
        rates_check([*both, Rate(0b0000001, time(0), time(12), Decimal("3"), kind="big_table")])
    assert snooker_gap.value.code == "RATE_PERIODS_GAP" and "big table" in snooker_gap.value.detail
    rates_check(happy_hour_rates())
    rates_check([Rate(EVERY_DAY, time(0), time(0), Decimal("1"), kind="snooker")])  # pool left to table rates


@given(
    offset_minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    length_minutes=st.integers(min_value=1, max_value=60 * 30),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tbilisi", "UTC"]),
)
def test_any_stretch_is_charged_for_exactly_its_real_time(offset_minutes, length_minutes, zone):
    """Whatever the zone's changes, the lines follow each other without a hole and add up to the time."""
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=offset_minutes)
    end = start + timedelta(minutes=length_minutes)
    result = quote(happy_hour_rates(), start, end, zone=ZoneInfo(zone))
    assert result.lines[0].start == start and result.lines[-1].end == end
    for earlier, later in zip(result.lines, result.lines[1:]):
        assert earlier.end == later.start
    assert sum((line.end - line.start for line in result.lines), timedelta()) == end - start
