from django.urls import URLPattern

from apps.core.routes import route
from apps.realtime.views import staff_board, staff_board_ticket

urlpatterns: list[URLPattern] = [
    route("halls/<int:hall_id>/board/", staff_board, name="staff-board"),
    route("halls/<int:hall_id>/board/ticket/", staff_board_ticket, name="staff-board-ticket"),
]
