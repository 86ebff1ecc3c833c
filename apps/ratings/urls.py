from django.urls import URLPattern

from apps.core.routes import route
from apps.ratings import apis

urlpatterns: list[URLPattern] = [
    route("game-session/<int:session_id>/dispute/", apis.DisputeApi.as_view(), name="result-dispute"),
    route("players/<int:player_id>/history/", apis.PlayerHistoryApi.as_view(), name="player-history"),
    route("leaderboard/", apis.LeaderboardApi.as_view(), name="leaderboard"),
    route("poolhouses/<int:hall_id>/results/", apis.HallResultsApi.as_view(), name="hall-results"),
    route(
        "poolhouses/<int:hall_id>/game-sessions/<int:session_id>/result/",
        apis.SettleResultApi.as_view(),
        name="settle-result",
    ),
]
