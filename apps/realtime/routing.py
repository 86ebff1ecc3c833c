from django.urls import re_path

from apps.realtime.consumers import BaseConsumer

websocket_urlpatterns = [re_path(r"^ws/base/?$", BaseConsumer.as_asgi())]
