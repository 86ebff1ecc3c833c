from django.urls import URLPattern

from apps.core.routes import route
from apps.reservations import apis

urlpatterns: list[URLPattern] = [
    route("poolhouses/<int:hall_id>/tables/<int:table_id>/reserve/", apis.TableReserveApi.as_view(), name="reserve"),
    route("reservations/", apis.MyReservationsApi.as_view(), name="my-reservations"),
    route("reservations/<int:reservation_id>/", apis.MyReservationDetailApi.as_view(), name="my-reservation"),
    route("poolhouses/<int:hall_id>/reservations/", apis.HallReservationsApi.as_view(), name="hall-reservations"),
    route("poolhouses/<int:hall_id>/game-sessions/", apis.HallSessionsApi.as_view(), name="hall-sessions"),
    route(
        "poolhouses/<int:hall_id>/game-sessions/<int:session_id>/",
        apis.HallSessionDetailApi.as_view(),
        name="hall-session",
    ),
    route("game-session/<int:session_id>/", apis.GameSessionApi.as_view(), name="game-session"),
    route("top-player/", apis.TopPlayersApi.as_view(), name="top-player"),
    route("top-table/", apis.TopTablesApi.as_view(), name="top-table"),
]
