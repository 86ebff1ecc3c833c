from django.urls import URLPattern

from apps.core.routes import route
from apps.walkup import apis
from apps.walkup.views import wait_page

urlpatterns: list[URLPattern] = [
    route("poolhouses/<int:hall_id>/queue/", apis.HallQueueApi.as_view(), name="hall-queue"),
    route("poolhouses/<int:hall_id>/queue/staff/", apis.HallQueueStaffApi.as_view(), name="hall-queue-staff"),
    route("queue/<int:entry_id>/", apis.QueueEntryApi.as_view(), name="queue-entry"),
    route("queue/<int:entry_id>/seat/", apis.QueueEntrySeatApi.as_view(), name="queue-entry-seat"),
    route("queue/<int:entry_id>/extend/", apis.QueueEntryExtendApi.as_view(), name="queue-entry-extend"),
    route("offers/<int:offer_id>/confirm/", apis.OfferConfirmApi.as_view(), name="offer-confirm"),
    route("offers/<int:offer_id>/decline/", apis.OfferDeclineApi.as_view(), name="offer-decline"),
]

# Pages, mounted under /halls/ (no login).
page_urlpatterns: list[URLPattern] = [
    route("<slug:slug>/wait/", wait_page, name="wait-page"),
]
