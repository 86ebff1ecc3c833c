"""The realtime port: frames for a user's sockets, the lobby or a hall's board, over the channel layer.

Callers use these only inside `transaction.on_commit`, so nothing is announced that later rolls back.
A push is best effort: the stored rows are the truth, and a Redis hiccup is logged, never raised into
the action that caused it.
"""

import asyncio
import logging
import os
import threading
from typing import Any

from channels.layers import get_channel_layer

from apps.halls.snapshot import snapshot_invalidate
from apps.matchmaking.lobby import lobby_changed

logger = logging.getLogger(__name__)
LOBBY_GROUP = "lobby"

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def hall_group(hall_id: int) -> str:
    return f"hall.{hall_id}"


def hall_queue_group(hall_id: int) -> str:
    """The hall's staff watching its walk-up queue (staff only: it names the parties)."""
    return f"queue.{hall_id}"


def waitlist_group(hall_id: int) -> str:
    """Anybody watching the hall's public wait list (`/ws/public/`)."""
    return f"waitlist.{hall_id}"


def _push_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for pushes from synchronous code (Gunicorn,
    Celery, the services Daphne runs in threads). Its Redis connections stay open between pushes;
    `async_to_sync` would make a new loop, and so new connections, for every push."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            _loop_pid = os.getpid()
            threading.Thread(target=_loop.run_forever, name="strikem-push", daemon=True).start()
        return _loop


def _send(pushes: list[tuple[str, dict[str, Any]]]) -> None:
    """Each (group, frame) to that group, all at once: the channel layer's round trips for one group overlap
    those for the others; a failed send is logged and the others still go. Several frames for one group
    (a group given more than once) travel as one message, in order: one trip through the channel layer."""
    layer = get_channel_layer()
    if layer is None or not pushes:
        return
    by_group: dict[str, list[dict[str, Any]]] = {}
    for group, frame in pushes:
        by_group.setdefault(group, []).append(frame)

    async def send_all() -> None:
        sent = await asyncio.gather(
            *(layer.group_send(group, _message(frames)) for group, frames in by_group.items()),
            return_exceptions=True,
        )
        for group, outcome in zip(by_group, sent, strict=True):
            if isinstance(outcome, BaseException):
                logger.warning("push to %s failed", group, exc_info=outcome)

    try:
        asyncio.run_coroutine_threadsafe(send_all(), _push_loop()).result(timeout=5)
    except Exception:
        logger.warning("push to %s failed", ", ".join(by_group), exc_info=True)


def _message(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """The channel-layer event: `push.frame` for one frame, `push.frames` for several (the consumers send
    each, in order)."""
    if len(frames) == 1:
        return {"type": "push.frame", "frame": frames[0]}
    return {"type": "push.frames", "frames": frames}


def _group_send(group: str, frame: dict[str, Any]) -> None:
    _send([(group, frame)])


def push_warm() -> None:
    """Start this process's push loop and open its channel-layer connection ahead of the first push (a
    Gunicorn worker before its first request, apps/core/warmup.py). Sends nothing."""
    layer = get_channel_layer()
    if layer is not None:
        # Removing a channel that was never added opens the connection and changes nothing.
        discard = layer.group_discard("warmup", "warmup.nothing")
        asyncio.run_coroutine_threadsafe(discard, _push_loop()).result(timeout=5)


def push_to_user(user_id: int, *frames: dict[str, Any]) -> None:
    """These frames to the user's sockets, in order, in one message."""
    _send([(user_group(user_id), frame) for frame in frames])


def push_to_users(pushes: list[tuple[int, dict[str, Any]]]) -> None:
    """Each (user id, frame) to that user's sockets, all at once (two players told at the same moment wait
    for one trip through the channel layer, not two)."""
    _send([(user_group(user_id), frame) for user_id, frame in pushes])


def tournament_group(tournament_id: int) -> str:
    return f"tournament.{tournament_id}"


def push_to_tournament(tournament_id: int, frame: dict[str, Any]) -> None:
    """To everyone watching a tournament: players' sockets and the public bracket page alike."""
    _group_send(tournament_group(tournament_id), frame)


def push_to_hall_board(hall_id: int, frame: dict[str, Any]) -> None:
    """Everything that changes a hall's board passes here: its stored table list is stale from now on."""
    snapshot_invalidate(hall_id)
    _group_send(hall_group(hall_id), frame)


def push_to_lobby(frame: dict[str, Any]) -> None:
    """Every change of who waits in the lobby passes here: the processes' lobby indexes are stale."""
    lobby_changed()
    _group_send(LOBBY_GROUP, frame)


def push_to_hall_queue(hall_id: int, frame: dict[str, Any]) -> None:
    _group_send(hall_queue_group(hall_id), frame)


def push_to_waitlist(hall_id: int, frame: dict[str, Any]) -> None:
    _group_send(waitlist_group(hall_id), frame)
