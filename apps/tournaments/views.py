"""The public bracket page: server-rendered for a TV in the hall (no login), kept live over the public
socket. `?part=main` answers the page's main part alone, which the page fetches when the tournament changes
(one renderer for the first view and every update); a live score is patched in from the frame itself."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.tournaments import selectors, shapes
from apps.tournaments.exceptions import TournamentNotFound


@require_GET
def bracket_page(request: HttpRequest, tournament_id: int) -> HttpResponse:
    try:
        rows = selectors.snapshot_rows(tournament_id=tournament_id)
    except TournamentNotFound as error:
        raise Http404(error.detail) from error
    snapshot = shapes.snapshot_data(rows)
    context = {"t": snapshot, "page": shapes.page_data(snapshot, time_zone=rows.tournament.hall.time_zone)}
    if request.GET.get("part") == "main":
        return render(request, "tournaments/bracket_main.html", context)
    return render(request, "tournaments/bracket.html", context)
