"""Opening hours as instants: windows that touch join, daylight-saving changes count their real length."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.halls.hours import opening_window, within_opening_hours
from apps.halls.models import PoolHouse

ZONES = ["UTC", "Asia/Tbilisi", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]


def _hall(opens: time, closes: time, zone: str) -> PoolHouse:
    return PoolHouse(open_time=opens, close_time=closes, time_zone=zone)


def _at(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_a_round_the_clock_hall_takes_a_booking_across_midnight():
    hall = _hall(time(0), time(0), "UTC")
    start = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert within_opening_hours(hall, start, start + timedelta(hours=1))
    assert within_opening_hours(hall, start, start + timedelta(hours=4))


def test_a_hall_closing_when_the_next_day_opens_is_open_across_that_moment():
    hall = _hall(time(6), time(6), "Asia/Tbilisi")
    assert within_opening_hours(hall, _at("Asia/Tbilisi", 2026, 12, 2, 5, 30), _at("Asia/Tbilisi", 2026, 12, 2, 6, 30))


def test_a_gap_between_closing_and_opening_refuses_a_booking_across_it():
    hall = _hall(time(10), time(2), "Asia/Tbilisi")
    assert within_opening_hours(hall, _at("Asia/Tbilisi", 2026, 12, 2, 0, 30), _at("Asia/Tbilisi", 2026, 12, 2, 1, 30))
    assert not within_opening_hours(
        hall, _at("Asia/Tbilisi", 2026, 12, 2, 1, 30), _at("Asia/Tbilisi", 2026, 12, 2, 2, 30)
    )
    assert not within_opening_hours(
        hall, _at("Asia/Tbilisi", 2026, 12, 2, 9, 30), _at("Asia/Tbilisi", 2026, 12, 2, 10, 30)
    )


def test_the_night_the_clocks_go_forward_has_one_hour_less():
    # Berlin, 28 March 2027: 02:00 becomes 03:00. A hall open 20:00-04:00 is open seven real hours that night.
    hall = _hall(time(20), time(4), "Europe/Berlin")
    opens = _at("Europe/Berlin", 2027, 3, 27, 20, 0)
    assert within_opening_hours(hall, opens, opens + timedelta(hours=7))
    assert not within_opening_hours(hall, opens, opens + timedelta(hours=7, minutes=15))


def test_the_night_the_clocks_go_back_has_one_hour_more():
    # Berlin, 31 October 2027: 03:00 becomes 02:00 again. The same hall is open nine real hours that night.
    hall = _hall(time(20), time(4), "Europe/Berlin")
    opens = _at("Europe/Berlin", 2027, 10, 30, 20, 0)
    assert within_opening_hours(hall, opens + timedelta(hours=5), opens + timedelta(hours=9))
    assert not within_opening_hours(hall, opens + timedelta(hours=5), opens + timedelta(hours=9, minutes=15))


def _open_at(hall: PoolHouse, instant: datetime) -> bool:
    """The oracle: some day's window holds this instant (closing time itself excluded)."""
    local_day = instant.astimezone(ZoneInfo(hall.time_zone)).date()
    for offset in (-1, 0):
        opens, closes = opening_window(hall, local_day + timedelta(days=offset))
        if opens <= instant < closes:
            return True
    return False


quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))


@settings(max_examples=300, deadline=None)
@given(
    opens=quarter_hours,
    closes=quarter_hours,
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
        lambda moment: moment.replace(second=0, microsecond=0, minute=moment.minute // 5 * 5, tzinfo=UTC)
    ),
    minutes=st.integers(min_value=5, max_value=240).map(lambda m: m // 5 * 5),
)
def test_a_booking_is_inside_opening_hours_exactly_when_every_minute_of_it_is(opens, closes, zone, start, minutes):
    hall = _hall(opens, closes, zone)
    every_minute_open = all(_open_at(hall, start + timedelta(minutes=m)) for m in range(minutes))
    assert within_opening_hours(hall, start, start + timedelta(minutes=minutes)) == every_minute_open
