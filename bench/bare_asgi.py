"""The baseline of the socket-capacity benchmark: a bare Channels consumer on the same Daphne and
channels-redis configuration, which accepts every socket and does nothing else."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikem.settings.base")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()


application = ProtocolTypeRouter({"websocket": URLRouter([re_path(r"^ws/base/?$", BareConsumer.as_asgi())])})
