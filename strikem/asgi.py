"""ASGI entry point: plain HTTP goes to Django, WebSockets to the Channels routing of the apps."""

import gc
import os
import sys
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikem.settings.base")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.realtime.auth import OriginCheckMiddleware  # noqa: E402
from strikem.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheckMiddleware(URLRouter(websocket_urlpatterns)),
    }
)


def _close_frames_on_protocol_errors() -> None:
    """Under Daphne, a WebSocket protocol error (a text frame that is not UTF-8) ends the socket with its
    close code (1007) as RFC 6455 says; autobahn, which Daphne runs on, drops the TCP connection by
    default, which a client sees as an abnormal closure. Daphne builds its factory from this name when it
    starts serving, after it has imported this module."""
    daphne_server: Any = sys.modules.get("daphne.server")
    if daphne_server is None or getattr(daphne_server.WebSocketFactory, "closes_cleanly", False):
        return

    class CleanClosingFactory(daphne_server.WebSocketFactory):  # type: ignore[misc]
        closes_cleanly = True

        def resetProtocolOptions(self) -> None:
            super().resetProtocolOptions()
            self.failByDrop = False

    daphne_server.WebSocketFactory = CleanClosingFactory


_close_frames_on_protocol_errors()


def _freeze_what_outlives_sockets() -> None:
    """Under Daphne: everything imported by now lives as long as the server, out of the collector's way
    (gc.freeze), so a full collection walks only the sockets' objects. Each one had walked Django too, in
    100-230 ms during which no socket got a frame (bench/push_latency.py, 1,000 sockets); 23-86 ms now."""
    if "daphne.server" in sys.modules:
        gc.freeze()


_freeze_what_outlives_sockets()
