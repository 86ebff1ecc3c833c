"""Opening hours in the hall's own time zone; a close time at or before the open time means after midnight."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apps.halls.models import PoolHouse


def opening_window(hall: PoolHouse, local_day: date) -> tuple[datetime, datetime]:
    """The opening interval that starts on `local_day` (aware datetimes)."""
    zone = ZoneInfo(hall.time_zone)
    opens = datetime.combine(local_day, hall.open_time, tzinfo=zone)
    closes = datetime.combine(local_day, hall.close_time, tzinfo=zone)
    if closes <= opens:
        closes += timedelta(days=1)
    return opens, closes


def within_opening_hours(hall: PoolHouse, start: datetime, end: datetime) -> bool:
    """Whether [start, end] lies inside the hall's open time.

    One day's window that closes when the next one opens joins it (a hall open round the clock, or one that
    closes at midnight and opens at midnight), so a booking may cross from one into the other. Windows are
    compared as instants, so a daylight-saving change inside a booking counts its real length.
    """
    local_day = start.astimezone(ZoneInfo(hall.time_zone)).date()
    windows = (opening_window(hall, local_day + timedelta(days=offset)) for offset in range(-1, (end - start).days + 3))
    joined_from, joined_to = (moment.astimezone(UTC) for moment in next(windows))
    for opens, closes in windows:
        if joined_from <= start and end <= joined_to:
            return True
        if joined_from > start:
            return False
        opens, closes = opens.astimezone(UTC), closes.astimezone(UTC)
        if opens <= joined_to:
            joined_to = max(joined_to, closes)
        else:
            joined_from, joined_to = opens, closes
    return joined_from <= start and end <= joined_to
