"""Opening hours in the hall's own time zone; a close time at or before the open time means after midnight."""

from datetime import date, datetime, timedelta
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
    """Whether [start, end] lies inside one opening interval (yesterday's may run past midnight)."""
    local_day = start.astimezone(ZoneInfo(hall.time_zone)).date()
    for day in (local_day - timedelta(days=1), local_day):
        opens, closes = opening_window(hall, day)
        if opens <= start and end <= closes:
            return True
    return False
