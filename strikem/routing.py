"""WebSocket routes of all apps, in one list for the ASGI router."""

from apps.realtime.routing import websocket_urlpatterns as realtime

websocket_urlpatterns = [*realtime]
