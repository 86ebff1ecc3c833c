from django.urls import re_path

from apps.realtime.consumers import BaseConsumer
from apps.realtime.public import PublicConsumer

websocket_urlpatterns = [
    re_path(r"^ws/base/?$", BaseConsumer.as_asgi()),
    re_path(r"^ws/public/?$", PublicConsumer.as_asgi()),
]
