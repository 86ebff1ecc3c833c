"""Who is on the socket: a single-use ticket in the URL (the web client), or an access token in
`Sec-WebSocket-Protocol: jwt, <token>` (new clients). Nothing the client writes in a frame counts."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import User
from apps.accounts.services import ws_ticket_redeem

TOKEN_SUBPROTOCOL = "jwt"
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_ORIGIN = 4403
CLOSE_TOO_MANY_FRAMES = 4429
# Redis (channel layer, tickets) is unreachable: try again later with a new ticket. (Servers may only send
# 1000 or 3000-4999, so not the standard 1013.)
CLOSE_TRY_AGAIN_LATER = 4503


@database_sync_to_async
def _active_user_id(user_id: int) -> int | None:
    return user_id if User.objects.filter(pk=user_id, is_active=True).exists() else None


async def socket_user_id(scope: dict) -> tuple[int | None, str | None]:
    """(user id or None, subprotocol to accept with)."""
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) >= 2 and subprotocols[0] == TOKEN_SUBPROTOCOL:
        try:
            token = AccessToken(subprotocols[1])  # type: ignore[arg-type]
        except TokenError:
            return None, TOKEN_SUBPROTOCOL
        return await _active_user_id(int(token["user_id"])), TOKEN_SUBPROTOCOL
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    ticket = (query.get("uuid") or [""])[0]
    if not ticket or len(ticket) > 64:
        return None, None
    user_id = await ws_ticket_redeem(ticket=ticket)
    if user_id is None:
        return None, None
    return await _active_user_id(user_id), None


def origin_allowed(origin: str) -> bool:
    """Browsers send Origin; it must be one of our hosts or an allowed client origin. Non-browser
    clients send none and are judged by their credentials alone."""
    allowed_origins = {o.rstrip("/") for o in [*settings.CORS_ALLOWED_ORIGINS, *settings.WS_ALLOWED_ORIGINS]}
    if origin.rstrip("/") in allowed_origins:
        return True
    host = origin.split("://", 1)[-1].split("/", 1)[0]
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class OriginCheckMiddleware:
    """Refuse sockets from foreign web pages with a clear close code (accept, then close 4403)."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> object:
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if scope.get("type") == "websocket" and origin and not origin_allowed(origin):
            await refuse(receive, send, CLOSE_BAD_ORIGIN)
            return None
        return await self.app(scope, receive, send)  # type: ignore[operator]


async def refuse(receive: Any, send: Any, code: int, subprotocol: str | None = None) -> None:
    """Turn a socket away with a close code the client can read (a refused handshake shows none): take its
    connect, accept, close. No consumer runs and the channel layer is never asked for a channel."""
    await receive()
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    await send({"type": "websocket.close", "code": code})
