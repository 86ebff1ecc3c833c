"""The one socket of the app (`/ws/base/`): lobby, invitations, chat, notifications and hall boards.

Thin: every frame is validated here and handed to the same service the REST twin calls. Identity is the
socket's authenticated user; any `username` a frame carries about its sender is ignored. A bad frame gets
an error frame with a code and the socket stays open.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.accounts.models import Player, User
from apps.accounts.selectors import player_get_by_username
from apps.core import parsing
from apps.core.exceptions import DomainError
from apps.core.observability import OPEN_SOCKETS
from apps.core.throttling import throttle_user
from apps.halls.selectors import hall_get_by_slug, hall_table_rows
from apps.halls.serializers import tables_data
from apps.matchmaking import services as matchmaking
from apps.realtime import frames, walkup_socket
from apps.realtime.auth import (
    CLOSE_TOO_MANY_FRAMES,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHENTICATED,
    refuse,
    socket_user_id,
)
from apps.realtime.presence import presence_connect, presence_disconnect
from apps.realtime.push import LOBBY_GROUP, hall_group, hall_queue_group, tournament_group, user_group
from apps.realtime.walkup_socket import frame_id, frame_input
from apps.social import sockets as social_sockets
from apps.tournaments import sockets as tournament_sockets
from apps.walkup import services as walkup
from apps.walkup.serializers import (
    DeskPartyInputSerializer,
    ExtendInputSerializer,
    JoinInputSerializer,
    SeatInputSerializer,
)

logger = logging.getLogger(__name__)


class FrameError(DomainError):
    code = "INVALID_FRAME"


@dataclass(frozen=True)
class Action:
    """One thing a client may ask on the socket: the frame's `action`, its `protocol` (None: any), the
    keys it must carry, and the consumer method that handles it."""

    action: str
    protocol: str | None
    keys: frozenset[str]
    handler: str

    def matches(self, content: dict[str, Any]) -> bool:
        return (
            content.get("action") == self.action
            and (self.protocol is None or content.get("protocol") == self.protocol)
            and self.keys <= content.keys()
        )


# First match wins; docs/socket.md documents each row (tests/core/test_docs.py compares).
ACTIONS = (
    Action("base", "initial", frozenset(), "_on_leave_page"),
    Action("poolhouse", "initial", frozenset(), "_on_watch_board"),
    Action("matchup", "initial", frozenset(), "_on_leave_page"),
    Action("matchmake", "initial", frozenset(), "_on_watch_lobby"),
    Action("matchmake", "auto_pair", frozenset(), "_on_auto_pair"),
    Action("matchmake", "control_user", frozenset(), "_on_toggle_looking"),
    Action("matchmake", None, frozenset({"matchmaker_username"}), "_on_invite"),
    Action("matchmake", None, frozenset({"invite_sender_username"}), "_on_answer_invitation"),
    Action("change_matchup", None, frozenset(), "_on_view_chat"),
    Action("matchup", None, frozenset({"message"}), "_on_chat_message"),
    Action("walkup", "join", frozenset(), "_on_queue_join"),
    Action("walkup", "leave", frozenset(), "_on_queue_leave"),
    Action("walkup", "confirm", frozenset(), "_on_offer_confirm"),
    Action("walkup", "decline", frozenset(), "_on_offer_decline"),
    Action("walkup", "watch", frozenset(), "_on_watch_queue"),
    Action("walkup", "add", frozenset(), "_on_queue_add"),
    Action("walkup", "seat", frozenset(), "_on_queue_seat"),
    Action("walkup", "extend", frozenset(), "_on_queue_extend"),
    Action("tournament", "watch", frozenset({"tournament_id"}), "_on_watch_tournament"),
    Action("tournament", "check_in", frozenset({"tournament_id"}), "_on_tournament_check_in"),
    Action("tournament", "report", frozenset({"tournament_id", "match_id"}), "_on_match_report"),
    Action("tournament", "rack", frozenset({"tournament_id", "match_id"}), "_on_match_rack"),
    Action("friend", "request", frozenset(), "_on_friend_request"),
    Action("friend", "accept", frozenset(), "_on_friend_accept"),
    Action("friend", "decline", frozenset(), "_on_friend_decline"),
    Action("friend", "cancel", frozenset(), "_on_friend_cancel"),
    Action("friend", "remove", frozenset(), "_on_friend_remove"),
    Action("block", "add", frozenset(), "_on_block"),
    Action("block", "remove", frozenset(), "_on_unblock"),
)


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


_player_by_username = database_sync_to_async(player_get_by_username)


@database_sync_to_async
def _user_of(user_id: int) -> User:
    return User.objects.get(pk=user_id)


@database_sync_to_async
def _board_snapshot(slug: str, request: _ScopeRequest) -> tuple[int, list[Any]]:
    hall = hall_get_by_slug(slug=slug)
    return hall.pk, tables_data(hall_table_rows(hall_id=hall.pk), hall_id=hall.pk, request=request)


class BaseConsumer(AsyncJsonWebsocketConsumer):
    actions: tuple[Action, ...] = ACTIONS
    user_id: int
    player: Player | None
    allowance: float
    allowance_at: float
    refused: int
    accepted = False
    counted = False

    # Who is on the socket is settled before the consumer takes a channel of the channel layer: a socket
    # without a valid ticket or token is closed with 4401 at once and leaves nothing behind (a consumer
    # that had started waiting on its channel lingered until the layer's blocking pop timed out).
    needs_identity = True
    subprotocol: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """When Redis goes away (the channel layer and tickets live there) the socket is closed with
        4503, try again later, instead of dying with an internal error; stored data is untouched."""
        if self.needs_identity:
            try:
                user_id, self.subprotocol = await socket_user_id(scope)  # a ticket is redeemed in Redis
            except (redis.ConnectionError, redis.TimeoutError):
                logger.warning("socket closed: Redis unreachable")
                await refuse(receive, send, CLOSE_TRY_AGAIN_LATER)
                return
            if user_id is None:
                await refuse(receive, send, CLOSE_UNAUTHENTICATED, self.subprotocol)
                return
            self.user_id = user_id
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
        user_id = self.user_id
        self.player = await _player_of(user_id)
        self.watching: set[str] = set()
        self.scope_request = _ScopeRequest(self.scope)
        self.viewing_matchup: str | None = None
        self._fill_budget()
        # Present and reachable before the handshake completes: anything sent to the player from the moment
        # their client sees the socket open finds it (no phone push for a player whose socket is open).
        await self.channel_layer.group_add(user_group(user_id), self.channel_name)
        if self.player is not None:
            await presence_connect(player_id=self.player.pk, channel_name=self.channel_name)
        await self.accept(self.subprotocol)
        OPEN_SOCKETS.inc()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "watching"):
            return  # connect did not get as far as joining groups
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
        for action in self.actions:
            if action.matches(content):
                await getattr(self, action.handler)(content)
                return
        raise FrameError("Unknown action or protocol.", code="UNKNOWN_ACTION")

    async def _on_leave_page(self, content: dict[str, Any]) -> None:
        """The client left a page that watched something (the lobby, a board)."""
        await self._unwatch()

    async def _on_watch_board(self, content: dict[str, Any]) -> None:
        await self._watch_board(content.get("poolhouseName"))

    async def _on_watch_lobby(self, content: dict[str, Any]) -> None:
        self._require_player()
        await self._unwatch()
        await self._watch(LOBBY_GROUP)

    async def _on_auto_pair(self, content: dict[str, Any]) -> None:
        enabled = content.get("enabled", True)
        if not isinstance(enabled, bool):
            raise FrameError("enabled is true or false.")
        await database_sync_to_async(matchmaking.lobby_set_looking)(
            player=self._require_player(), looking=True if enabled else None, auto_pair=enabled
        )

    async def _on_toggle_looking(self, content: dict[str, Any]) -> None:
        await database_sync_to_async(matchmaking.lobby_set_looking)(player=self._require_player(), toggle=True)

    async def _on_invite(self, content: dict[str, Any]) -> None:
        invitee = await _player_by_username(content["matchmaker_username"])
        inviter = self._require_player()
        await database_sync_to_async(throttle_user)(scope="invitations", user_id=inviter.user_id)  # REST's budget
        await database_sync_to_async(matchmaking.invitation_send)(inviter_id=inviter.pk, invitee_id=invitee.pk)

    async def _on_answer_invitation(self, content: dict[str, Any]) -> None:
        answer = content.get("invite_response")
        if answer not in ("accept", "deny"):
            raise FrameError('invite_response is "accept" or "deny".')
        me = self._require_player()
        inviter = await _player_by_username(content["invite_sender_username"])
        if answer == "accept":
            await database_sync_to_async(matchmaking.invitation_accept)(invitee=me, inviter=inviter)
        else:
            await database_sync_to_async(matchmaking.invitation_deny)(invitee=me, inviter=inviter)

    async def _on_view_chat(self, content: dict[str, Any]) -> None:
        """The chat I am looking at (its messages arrive read); null or "" means none."""
        if "matchup_id" not in content:
            raise FrameError("Name the chat you are viewing with matchup_id (null: none).")
        matchup_id = content["matchup_id"]
        if matchup_id in (None, ""):
            self.viewing_matchup = None
            return
        matchup = await database_sync_to_async(matchmaking.matchup_mark_read)(
            matchup_id=str(matchup_id), player=self._require_player()
        )
        self.viewing_matchup = str(matchup.pk)

    async def _on_chat_message(self, content: dict[str, Any]) -> None:
        body = content.get("message")
        if not isinstance(body, str):
            raise FrameError("message is text.", code="INVALID_MESSAGE")
        await database_sync_to_async(matchmaking.message_send)(
            sender=self._require_player(), matchup_id=str(content.get("matchup_id")), body=body
        )

    async def _on_queue_join(self, content: dict[str, Any]) -> None:
        """My party joins a hall's walk-up queue (`hall`: its slug); answered by a `queue_status` push."""
        data = frame_input(JoinInputSerializer, content)
        await database_sync_to_async(walkup_socket.queue_join)(
            slug=content.get("hall"), player=self._require_player(), data=data
        )

    async def _on_queue_leave(self, content: dict[str, Any]) -> None:
        entry_id = frame_id(content.get("entry_id"), "entry_id")
        await database_sync_to_async(walkup.queue_leave)(entry_id=entry_id, user=await _user_of(self.user_id))

    async def _on_offer_confirm(self, content: dict[str, Any]) -> None:
        offer_id = frame_id(content.get("offer_id"), "offer_id")
        await database_sync_to_async(walkup.offer_confirm)(offer_id=offer_id, user=await _user_of(self.user_id))

    async def _on_offer_decline(self, content: dict[str, Any]) -> None:
        offer_id = frame_id(content.get("offer_id"), "offer_id")
        await database_sync_to_async(walkup.offer_decline)(offer_id=offer_id, user=await _user_of(self.user_id))

    async def _on_watch_queue(self, content: dict[str, Any]) -> None:
        """Staff watch their hall's queue (beside its board): a `walkup_queue` now and on every change."""
        hall_id, frame = await database_sync_to_async(walkup_socket.staff_queue)(
            slug=content.get("hall"), user=await _user_of(self.user_id)
        )
        await self._watch(hall_queue_group(hall_id))
        await self.send_json(frame)

    async def _on_queue_add(self, content: dict[str, Any]) -> None:
        """Staff add a party at the desk to the queue of the hall whose slug is `hall`."""
        data = frame_input(DeskPartyInputSerializer, content)
        await database_sync_to_async(walkup_socket.desk_add)(
            slug=content.get("hall"), user=await _user_of(self.user_id), data=data
        )

    async def _on_queue_seat(self, content: dict[str, Any]) -> None:
        """Staff seat a waiting party (`entry_id`) on table `table_id` (its number), or the first free one."""
        entry_id = frame_id(content.get("entry_id"), "entry_id")
        data = frame_input(SeatInputSerializer, {"table_id": content.get("table_id")})
        await database_sync_to_async(walkup.entry_seat)(
            entry_id=entry_id, table_number=data["table_id"], user=await _user_of(self.user_id)
        )

    async def _on_queue_extend(self, content: dict[str, Any]) -> None:
        """More time (`minutes`) for my party seated from the queue (`entry_id`); a `queue_extended` answers."""
        entry_id = frame_id(content.get("entry_id"), "entry_id")
        data = frame_input(ExtendInputSerializer, {"minutes": content.get("minutes")})
        extension = await database_sync_to_async(walkup.entry_extend)(
            entry_id=entry_id, minutes=data["minutes"], user=await _user_of(self.user_id)
        )
        await self.send_json(frames.queue_extended(extension))

    async def _on_watch_tournament(self, content: dict[str, Any]) -> None:
        """A tournament (`tournament_id`): a `tournament_snapshot` now, then every `tournament_update`. The
        watch starts before the snapshot is read, so no change falls between; the frames' `version` orders
        them. Also on the public socket (a TV shows the bracket without logging in)."""
        tournament_id = frame_id(content.get("tournament_id"), "tournament_id")
        await self._watch(tournament_group(tournament_id))
        _pk, frame = await database_sync_to_async(tournament_sockets.snapshot_frame)(tournament_id=tournament_id)
        await self.send_json(frame)

    async def _on_tournament_check_in(self, content: dict[str, Any]) -> None:
        await database_sync_to_async(tournament_sockets.check_in)(
            content=content, user=await _user_of(self.user_id), player=self._require_player()
        )

    async def _on_match_report(self, content: dict[str, Any]) -> None:
        """My tournament match's score (`my_score`, `opponent_score`), as its REST twin reports it."""
        await database_sync_to_async(tournament_sockets.report)(content=content, player=self._require_player())

    async def _on_match_rack(self, content: dict[str, Any]) -> None:
        """Live score: a rack for `player` (`delta` -1 takes one back)."""
        await database_sync_to_async(tournament_sockets.rack)(content=content, user=await _user_of(self.user_id))

    async def _on_friend_request(self, content: dict[str, Any]) -> None:
        """Ask `player` (an id) or `username` to be friends, as `POST /api/friend-requests/`."""
        await self._answer(social_sockets.request_send, content=content, request=self.scope_request)

    async def _on_friend_accept(self, content: dict[str, Any]) -> None:
        request_id = frame_id(content.get("request_id"), "request_id")
        await self._answer(social_sockets.request_accept, request_id=request_id, request=self.scope_request)

    async def _on_friend_decline(self, content: dict[str, Any]) -> None:
        await self._answer(social_sockets.request_decline, request_id=frame_id(content.get("request_id"), "request_id"))

    async def _on_friend_cancel(self, content: dict[str, Any]) -> None:
        await self._answer(social_sockets.request_cancel, request_id=frame_id(content.get("request_id"), "request_id"))

    async def _on_friend_remove(self, content: dict[str, Any]) -> None:
        await self._answer(social_sockets.friend_remove, friend_id=frame_id(content.get("player_id"), "player_id"))

    async def _on_block(self, content: dict[str, Any]) -> None:
        """Block `player` (an id) or `username`, as `POST /api/blocks/`."""
        await self._answer(social_sockets.block, content=content, request=self.scope_request)

    async def _on_unblock(self, content: dict[str, Any]) -> None:
        await self._answer(social_sockets.unblock, player_id=frame_id(content.get("player_id"), "player_id"))

    async def _answer(self, action: Any, **arguments: Any) -> None:
        """Run `action` in a thread for the socket's player and send this socket the frame it answers with."""
        frame = await database_sync_to_async(action)(player=self._require_player(), **arguments)
        await self.send_json(frame)

    def absolute_url(self, location: str) -> str:
        return self.scope_request.build_absolute_uri(location)

    def _fill_budget(self) -> None:
        self.allowance = float(settings.WS_RATE_BURST)
        self.allowance_at = time.monotonic()
        self.refused = 0

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
        hall_id, tables = await _board_snapshot(slug, self.scope_request)
        await self._unwatch()
        await self._watch(hall_group(hall_id))
        await self.send_json(frames.board_snapshot(hall_id, tables))

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json(frames.error(code, detail))

    # --- Outgoing (channel layer events) ----------------------------------------------------

    async def push_frames(self, event: dict[str, Any]) -> None:
        for frame in event["frames"]:
            await self.push_frame({"frame": frame})

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
            frame = frames.chat_message_seen(frame)
        await self.send_json(frames.with_absolute_pictures(frame, self.absolute_url))
