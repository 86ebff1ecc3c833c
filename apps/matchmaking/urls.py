from django.urls import URLPattern

from apps.core.routes import route
from apps.matchmaking import apis

urlpatterns: list[URLPattern] = [
    route("filter-ratings/", apis.MatchmakingListApi.as_view(), name="matchmaking-list"),
    route("player-details/", apis.PlayerDetailsApi.as_view(), name="player-details"),
    route("invitations/", apis.InvitationsApi.as_view(), name="invitations"),
    route("invitations/<int:invitation_id>/accept/", apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
    route("invitations/<int:invitation_id>/deny/", apis.InvitationDenyApi.as_view(), name="invitation-deny"),
    route("lobby/", apis.LobbyApi.as_view(), name="lobby"),
    route("matchups/", apis.MatchupListApi.as_view(), name="matchups"),
    route("matchups/<uuid:matchup_id>/", apis.MatchupDetailApi.as_view(), name="matchup"),
    route("matchups/<uuid:matchup_id>/chat/", apis.ChatApi.as_view(), name="chat"),
    route("read-matchup/<uuid:matchup_id>/", apis.ReadMatchupApi.as_view(), name="read-matchup"),
    route("unread-matchups/", apis.UnreadMatchupsApi.as_view(), name="unread-matchups"),
]
