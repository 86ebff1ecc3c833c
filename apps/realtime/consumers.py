"""The one socket of the app (`/ws/base/`): lobby, invitations, chat, notifications and hall boards.

Thin: every frame is validated here and handed to the same service the REST twin calls. Identity is the
socket's authenticated user; any `username` a frame carries about its sender is ignored. A bad frame gets
an error frame with a code and the socket stays open.
"""

import logging
import time
from typing import Any

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.accounts.models import Player
from apps.core import parsing
from apps.core.exceptions import DomainError
from apps.core.observability import OPEN_SOCKETS
from apps.halls.selectors import hall_get_by_slug
from apps.halls.serializers import tables_data
from apps.matchmaking import services as matchmaking
from apps.notifications.push import LOBBY_GROUP, hall_group, user_group
from apps.realtime.auth import CLOSE_TOO_MANY_FRAMES, CLOSE_TRY_AGAIN_LATER, CLOSE_UNAUTHENTICATED, socket_user_id
from apps.realtime.presence import presence_connect, presence_disconnect

logger = logging.getLogger(__name__)


class FrameError(DomainError):
    code = "INVALID_FRAME"


class _ScopeRequest:
    """Just enough of a request for serializers to build absolute URLs from the socket's Host."""

    def __init__(self, scope: dict[str, Any]) -> None:
        headers = dict(scope.get("headers") or [])
        self.host = headers.get(b"host", b"localhost").decode("latin-1")
        self.scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"

    def build_absolute_uri(self, location: str) -> str:
        return location if "://" in location else f"{self.scheme}://{self.host}{location}"


@database_sync_to_async
def _player_of(user_id: int) -> Player | None:
    return Player.objects.select_related("user").filter(user_id=user_id).first()


@database_sync_to_async
def _player_by_username(username: Any) -> Player:
    if not isinstance(username, str) or not username or len(username) > 150:
        raise FrameError("Name the other player by username.", code="PLAYER_NOT_FOUND")
    player = Player.objects.select_related("user").filter(user__username=username, user__is_active=True).first()
    if player is None:
        raise DomainError("No such player.", code="PLAYER_NOT_FOUND", status_code=404)
    return player


@database_sync_to_async
def _board_snapshot(slug: str, request: _ScopeRequest) -> tuple[int, list[Any]]:
    hall = hall_get_by_slug(slug=slug)
    return hall.pk, tables_data(hall_id=hall.pk, request=request)


class BaseConsumer(AsyncJsonWebsocketConsumer):
    user_id: int
    player: Player | None
    accepted = False
    counted = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """When Redis goes away (the channel layer and tickets live there) the socket is closed with
        4503, try again later, instead of dying with an internal error; stored data is untouched."""
        try:
            await super().__call__(scope, receive, send)
        except (redis.ConnectionError, redis.TimeoutError):
            logger.warning("socket closed: Redis unreachable")
            self._uncount()
            if not self.accepted:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    def _uncount(self) -> None:
        if self.counted:
            OPEN_SOCKETS.dec()
            self.counted = False

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def connect(self) -> None:
        user_id, subprotocol = await socket_user_id(self.scope)
        if user_id is None:
            # Accept first so that the client sees the close code (a refused handshake shows none).
            await self.accept(subprotocol)
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user_id
        self.player = await _player_of(user_id)
        self.watching: set[str] = set()
        self.viewing_matchup: str | None = None
        self.allowance = float(settings.WS_RATE_BURST)
        self.allowance_at = time.monotonic()
        self.refused = 0
        await self.accept(subprotocol)
        OPEN_SOCKETS.inc()
        self.counted = True
        await self.channel_layer.group_add(user_group(user_id), self.channel_name)
        if self.player is not None:
            await presence_connect(player_id=self.player.pk, channel_name=self.channel_name)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        self._uncount()
        for group in [user_group(self.user_id), *self.watching]:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.player is not None:
            try:
                last = await presence_disconnect(player_id=self.player.pk, channel_name=self.channel_name)
                if last:
                    await database_sync_to_async(matchmaking.player_went_offline)(player_id=self.player.pk)
            except Exception:
                logger.warning("presence update failed on disconnect", exc_info=True)

    # --- Incoming ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if not self._within_rate():
            self.refused += 1
            if self.refused > 2 * settings.WS_RATE_BURST:
                await self.close(code=CLOSE_TOO_MANY_FRAMES)
                return
            await self._error("RATE_LIMITED", "Too many frames; slow down.")
            return
        self.refused = 0
        if text_data is None:
            await self._error("BINARY_NOT_SUPPORTED", "Send JSON text frames.")
            return
        if len(text_data) > settings.WS_MAX_FRAME_BYTES:
            await self._error("FRAME_TOO_LARGE", f"A frame has at most {settings.WS_MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = parsing.loads(text_data)
        except parsing.TooDeep as error:
            await self._error("MALFORMED_FRAME", str(error))
            return
        except ValueError:
            await self._error("MALFORMED_FRAME", "The frame is not valid JSON.")
            return
        if not isinstance(content, dict):
            await self._error("MALFORMED_FRAME", "A frame is a JSON object.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        try:
            await self._dispatch(content)
        except DomainError as error:
            await self._error(error.code, error.detail)
        except Exception:
            logger.exception("unexpected error handling a socket frame")
            await self._error("INTERNAL_ERROR", "Something went wrong; the frame was not carried out.")

    async def _dispatch(self, content: dict[str, Any]) -> None:
        action, protocol = content.get("action"), content.get("protocol")
        if action == "base" and protocol == "initial":
            await self._unwatch()
        elif action == "poolhouse" and protocol == "initial":
            await self._watch_board(content.get("poolhouseName"))
        elif action == "matchup" and protocol == "initial":
            await self._unwatch()
        elif action == "matchmake" and protocol == "initial":
            self._require_player()
            await self._unwatch()
            await self._watch(LOBBY_GROUP)
        elif action == "matchmake" and protocol == "auto_pair":
            enabled = content.get("enabled", True)
            if not isinstance(enabled, bool):
                raise FrameError("enabled is true or false.")
            await database_sync_to_async(matchmaking.lobby_set_looking)(
                player=self._require_player(), looking=True if enabled else None, auto_pair=enabled
            )
        elif action == "matchmake" and protocol == "control_user":
            await database_sync_to_async(matchmaking.lobby_set_looking)(player=self._require_player(), toggle=True)
        elif action == "matchmake" and "matchmaker_username" in content:
            invitee = await _player_by_username(content["matchmaker_username"])
            await database_sync_to_async(matchmaking.invitation_send)(inviter=self._require_player(), invitee=invitee)
        elif action == "matchmake" and "invite_sender_username" in content:
            await self._answer_invitation(content)
        elif action == "change_matchup":
            if "matchup_id" not in content:
                raise FrameError("Name the chat you are viewing with matchup_id (null: none).")
            await self._view_matchup(content["matchup_id"])
        elif action == "matchup" and "message" in content:
            await self._send_message(content)
        else:
            raise FrameError("Unknown action or protocol.", code="UNKNOWN_ACTION")

    def _within_rate(self) -> bool:
        """Token bucket per connection (WS_RATE_BURST frames, refilled at WS_RATE_PER_SECOND)."""
        now = time.monotonic()
        self.allowance = min(
            float(settings.WS_RATE_BURST), self.allowance + (now - self.allowance_at) * settings.WS_RATE_PER_SECOND
        )
        self.allowance_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    def _require_player(self) -> Player:
        if self.player is None:
            raise DomainError("This account has no player profile.", code="NO_PLAYER_PROFILE")
        return self.player

    async def _watch(self, group: str) -> None:
        if group not in self.watching:
            await self.channel_layer.group_add(group, self.channel_name)
            self.watching.add(group)

    async def _unwatch(self) -> None:
        for group in list(self.watching):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.watching.clear()

    async def _watch_board(self, slug: Any) -> None:
        if not isinstance(slug, str) or not slug or len(slug) > 140:
            raise FrameError("Say which hall with poolhouseName (its slug).", code="HALL_NOT_FOUND")
        hall_id, tables = await _board_snapshot(slug, _ScopeRequest(self.scope))
        await self._unwatch()
        await self._watch(hall_group(hall_id))
        await self.send_json({"protocol": "board_snapshot", "hall_id": hall_id, "tables": tables})

    async def _answer_invitation(self, content: dict[str, Any]) -> None:
        answer = content.get("invite_response")
        if answer not in ("accept", "deny"):
            raise FrameError('invite_response is "accept" or "deny".')
        me = self._require_player()
        inviter = await _player_by_username(content["invite_sender_username"])
        if answer == "accept":
            await database_sync_to_async(matchmaking.invitation_accept)(invitee=me, inviter=inviter)
        else:
            await database_sync_to_async(matchmaking.invitation_deny)(invitee=me, inviter=inviter)

    async def _view_matchup(self, matchup_id: Any) -> None:
        if matchup_id in (None, ""):
            self.viewing_matchup = None
            return
        matchup = await database_sync_to_async(matchmaking.matchup_mark_read)(
            matchup_id=str(matchup_id), player=self._require_player()
        )
        self.viewing_matchup = str(matchup.pk)

    async def _send_message(self, content: dict[str, Any]) -> None:
        body = content.get("message")
        if not isinstance(body, str):
            raise FrameError("message is text.", code="INVALID_MESSAGE")
        await database_sync_to_async(matchmaking.message_send)(
            sender=self._require_player(), matchup_id=str(content.get("matchup_id")), body=body
        )

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "error": code, "detail": detail})

    # --- Outgoing (channel layer events) ----------------------------------------------------

    async def push_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if (
            frame.get("protocol") == "handleMessage"
            and self.player is not None
            and self.viewing_matchup == frame.get("matchup_id")
        ):
            # I am looking at this chat: the message is read as it arrives.
            await database_sync_to_async(matchmaking.matchup_mark_read)(
                matchup_id=frame["matchup_id"], player=self.player
            )
            frame = {**frame, "update_message_count": False}
        await self.send_json(frame)
