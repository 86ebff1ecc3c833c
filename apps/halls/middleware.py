"""Staff see their hall's own time in the admin and on staff pages, and type times in it."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.halls.selectors import time_zones_staffed_by

STAFF_PATHS = ("/admin/", "/staff/")


class HallTimeZoneMiddleware:
    """For the admin and the staff pages: when the signed-in user runs halls of one time zone, that zone is
    the request's current one, so Django shows and reads every date-time in it. Staff of halls in several
    zones (and superusers without a hall) keep UTC, and the admin says which zone it shows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(STAFF_PATHS) or not request.user.is_authenticated:
            return self.get_response(request)
        zones = time_zones_staffed_by(request.user)  # type: ignore[arg-type]
        if len(zones) != 1:
            return self.get_response(request)
        with timezone.override(ZoneInfo(zones[0])):
            return self.get_response(request)
