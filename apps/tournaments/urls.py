from django.urls import URLPattern

from apps.core.routes import route
from apps.tournaments import apis, views

_MATCH = "tournaments/<int:tournament_id>/matches/<int:match_id>/"

urlpatterns: list[URLPattern] = [
    route("tournaments/", apis.TournamentsApi.as_view(), name="tournaments"),
    route("tournaments/<int:tournament_id>/", apis.TournamentApi.as_view(), name="tournament"),
    route("tournaments/<int:tournament_id>/matches/", apis.TournamentMatchesApi.as_view(), name="tournament-matches"),
    route("tournaments/<int:tournament_id>/register/", apis.RegisterApi.as_view(), name="tournament-register"),
    route("tournaments/<int:tournament_id>/withdraw/", apis.WithdrawApi.as_view(), name="tournament-withdraw"),
    route("tournaments/<int:tournament_id>/check-in/", apis.CheckInApi.as_view(), name="tournament-check-in"),
    route("tournaments/<int:tournament_id>/start/", apis.StartApi.as_view(), name="tournament-start"),
    route("tournaments/<int:tournament_id>/undo/", apis.UndoApi.as_view(), name="tournament-undo"),
    route(f"{_MATCH}report/", apis.ReportApi.as_view(), name="tournament-match-report"),
    route(f"{_MATCH}rack/", apis.RackApi.as_view(), name="tournament-match-rack"),
    route(f"{_MATCH}result/", apis.StaffResultApi.as_view(), name="tournament-match-result"),
    route(f"{_MATCH}call/", apis.CallApi.as_view(), name="tournament-match-call"),
    route(f"{_MATCH}move/", apis.MoveApi.as_view(), name="tournament-match-move"),
    route(f"{_MATCH}forfeit/", apis.ForfeitApi.as_view(), name="tournament-match-forfeit"),
]

# The public bracket page (no login, for a TV in the hall), mounted under /tournaments/.
page_urlpatterns: list[URLPattern] = [
    route("<int:tournament_id>/bracket/", views.bracket_page, name="tournament-bracket"),
]
