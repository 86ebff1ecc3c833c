from django.urls import URLPattern

from apps.core.routes import route
from apps.notifications import apis

urlpatterns: list[URLPattern] = [
    route("notifications/", apis.NotificationListApi.as_view(), name="notifications"),
    route("notifications/<int:notification_id>/", apis.NotificationReadApi.as_view(), name="notification"),
    route("mark-all-read/", apis.MarkAllReadApi.as_view(), name="mark-all-read"),
    route("unread-notifications/", apis.UnreadNotificationsApi.as_view(), name="unread-notifications"),
]
