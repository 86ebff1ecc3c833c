"""The staff live board: a small server-rendered page on the same socket the players use."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.accounts.services import ws_ticket_issue
from apps.core.exceptions import DomainError
from apps.halls.models import PoolHouse
from apps.halls.selectors import hall_get, hall_table_kinds
from apps.halls.services import hall_staff_require
from apps.tournaments.selectors import hall_tournaments_now


def _my_hall(request: HttpRequest, hall_id: str) -> tuple[User, PoolHouse]:
    """The hall if the signed-in user runs it; plain Django views answer with 404/403 pages."""
    user: User = request.user  # type: ignore[assignment]
    try:
        hall = hall_get(hall_id=hall_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    try:
        hall_staff_require(user=user, hall=hall)
    except DomainError as error:
        raise PermissionDenied(error.detail) from error
    return user, hall


@staff_member_required
@require_GET
def staff_board(request: HttpRequest, hall_id: str) -> HttpResponse:
    _user, hall = _my_hall(request, hall_id)
    tournaments = hall_tournaments_now(hall_id=hall.pk)
    kinds = hall_table_kinds(hall_id=hall.pk)
    return render(request, "realtime/board.html", {"hall": hall, "tournaments": tournaments, "kinds": kinds})


@staff_member_required
@require_GET
def staff_board_ticket(request: HttpRequest, hall_id: str) -> JsonResponse:
    """A fresh single-use socket ticket for the signed-in staff member (the page reconnects with it)."""
    user, _hall = _my_hall(request, hall_id)
    return JsonResponse({"uuid": ws_ticket_issue(user=user)})
