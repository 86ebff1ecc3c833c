"""Errors outside the views' own handling still answer with the envelope.

- A URL no route matches (say `/api/poolhouses/abc/`) is a JSON 404, not Django's HTML page.
- An unexpected error is a JSON 500 (logged with its traceback by Django, nothing of it shown).
- The database unreachable (restarting, failing over) is a 503 with `Retry-After`, so clients and the
  load balancer retry; Django reconnects by itself on the next request once the database is back.
"""

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.core.exceptions import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# MySQL client error codes that mean "the server is not there", not "the query is wrong".
_UNREACHABLE_CODES = {2002, 2003, 2006, 2013, 2055, 1040, 1053}


def database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = exc.args[0] if exc.args else None
    return not isinstance(code, int) or code in _UNREACHABLE_CODES


def unavailable_response() -> JsonResponse:
    body = error_body("SERVICE_UNAVAILABLE", "The service is briefly unavailable; please retry in a few seconds.")
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Turns a lost database connection in a view into a 503 and drops the dead connection."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return _outage() if database_unreachable(exc) else None


def _outage() -> JsonResponse:
    logger.warning("database unreachable; answering 503")
    # The connection is broken; discard it so the next request opens a fresh one.
    close_old_connections()
    return unavailable_response()


@csrf_exempt  # also the catch-all route under the API prefixes, where any method may arrive
def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this inside its `except`: an outage raised outside a view (a middleware) is a 503 too.
    if database_unreachable(sys.exc_info()[1] or Exception()):
        return _outage()
    return JsonResponse(error_body("SERVER_ERROR", "Something went wrong on our side; it has been logged."), status=500)
