"""The public bracket page: server-rendered for a TV in the hall (no login), kept live over the socket."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.tournaments import selectors, shapes
from apps.tournaments.exceptions import TournamentNotFound


@require_GET
def bracket_page(request: HttpRequest, tournament_id: int) -> HttpResponse:
    try:
        snapshot = shapes.snapshot_data(selectors.snapshot_rows(tournament_id=tournament_id))
    except TournamentNotFound as error:
        raise Http404(error.detail) from error
    return render(request, "tournaments/bracket.html", {"t": snapshot})
