"""Opening hours in the hall's own time zone; a close time at or before the open time means after midnight."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apps.halls.models import PoolHouse

# A hall whose open stretch runs on this long past a moment is taken as open round the clock.
ROUND_THE_CLOCK = timedelta(days=7)


def opening_window(hall: PoolHouse, local_day: date) -> tuple[datetime, datetime]:
    """The opening interval that starts on `local_day` (aware datetimes)."""
    zone = ZoneInfo(hall.time_zone)
    opens = datetime.combine(local_day, hall.open_time, tzinfo=zone)
    closes = datetime.combine(local_day, hall.close_time, tzinfo=zone)
    if closes <= opens:
        closes += timedelta(days=1)
    return opens, closes


def _open_stretches(hall: PoolHouse, start: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    """The hall's open stretches in UTC, in order, from the day before `start`'s local day on, for `days` days
    more. One day's window that closes when the next one opens joins it (a hall open round the clock, or one
    that closes at midnight and opens at midnight). Windows are compared as instants, so a daylight-saving
    change counts its real length."""
    local_day = start.astimezone(ZoneInfo(hall.time_zone)).date()
    windows = (opening_window(hall, local_day + timedelta(days=offset)) for offset in range(-1, days))
    joined_from, joined_to = (moment.astimezone(UTC) for moment in next(windows))
    for opens, closes in windows:
        opens, closes = opens.astimezone(UTC), closes.astimezone(UTC)
        if opens <= joined_to:
            joined_to = max(joined_to, closes)
        else:
            yield joined_from, joined_to
            joined_from, joined_to = opens, closes
    yield joined_from, joined_to


def within_opening_hours(hall: PoolHouse, start: datetime, end: datetime) -> bool:
    """Whether [start, end] lies inside the hall's open time (one open stretch, across midnight too)."""
    for opens, closes in _open_stretches(hall, start, (end - start).days + 3):
        if opens > start:
            return False
        if end <= closes:
            return start <= closes
    return False


def closing_time(hall: PoolHouse, moment: datetime) -> datetime | None:
    """When the hall closes next: the end of the open stretch `moment` lies in (across midnight too), or
    `moment` itself when it is closed then; None for a hall open round the clock."""
    for opens, closes in _open_stretches(hall, moment, ROUND_THE_CLOCK.days + 2):
        if opens > moment:
            break
        if moment <= closes:
            return closes if closes - moment < ROUND_THE_CLOCK else None
    return moment
