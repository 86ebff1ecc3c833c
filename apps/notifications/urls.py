from django.urls import URLPattern

from apps.core.routes import route
from apps.notifications import apis

urlpatterns: list[URLPattern] = [
    route("notifications/", apis.NotificationListApi.as_view(), name="notifications"),
    route("notifications/<int:notification_id>/", apis.NotificationReadApi.as_view(), name="notification"),
    route("mark-all-read/", apis.MarkAllReadApi.as_view(), name="mark-all-read"),
    route("unread-notifications/", apis.UnreadNotificationsApi.as_view(), name="unread-notifications"),
    route("devices/", apis.DevicesApi.as_view(), name="devices"),
    route("devices/<int:device_id>/", apis.DeviceApi.as_view(), name="device"),
    route("push-settings/", apis.PushSettingsApi.as_view(), name="push-settings"),
]
