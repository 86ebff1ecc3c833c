"""The realtime port: frames for a user's sockets or a hall's board, sent over the channel layer.

Callers use these only inside `transaction.on_commit`, so nothing is announced that later rolls back.
A push is best effort: the stored rows are the truth, and a Redis hiccup is logged, never raised into
the action that caused it.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def hall_group(hall_id: int) -> str:
    return f"hall.{hall_id}"


LOBBY_GROUP = "lobby"


def _group_send(group: str, frame: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push.frame", "frame": frame})
    except Exception:
        logger.warning("push to %s failed", group, exc_info=True)


def push_to_user(user_id: int, frame: dict[str, Any]) -> None:
    _group_send(user_group(user_id), frame)


def push_to_hall_board(hall_id: int, frame: dict[str, Any]) -> None:
    _group_send(hall_group(hall_id), frame)


def push_to_lobby(frame: dict[str, Any]) -> None:
    _group_send(LOBBY_GROUP, frame)
