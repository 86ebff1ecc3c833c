"""A hall's table list, kept ready between changes: the hall page is read far more often than it changes.

The rendered answer is stored in Redis per hall and per origin (scheme and host: it carries absolute
picture URLs), tagged with the hall's board version. Every change that reaches the hall's live board
(a game starting or ending, a table edited in the admin) bumps the version through `snapshot_invalidate`,
so the next request builds it again; anything else that shows on it (a player renaming themselves or
changing their picture, a tournament's hold beginning or running out by the clock) is at most
BOARD_SNAPSHOT_SECONDS old. The answer's ETag is the version and the body's checksum, so a client asking
again with If-None-Match gets a 304 while nothing changed.

A player who is in one of the hall's running games sees their own email there: their answer is built
for them and never stored. Redis being away costs the cache, not the answer.
"""

import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from apps.core.redis import redis_client

logger = logging.getLogger(__name__)
_VERSION = "board:version:{}"
_BODY = "board:body:{}:{}"


@dataclass(frozen=True)
class Snapshot:
    body: bytes
    etag: str | None  # None: built for this viewer only


def snapshot_invalidate(hall_id: int) -> None:
    """The hall's tables changed: the stored answer (and its ETag) is stale from now on."""
    try:
        redis_client().incr(_VERSION.format(hall_id))
    except redis.RedisError:
        logger.warning("board snapshot of hall %s not invalidated: Redis unreachable", hall_id)


def _etag(hall_id: int, version: bytes, origin: str, body: bytes) -> str:
    """The version says what changed through the services; the body's own checksum also catches what the
    clock changes without an event (a tournament's hold beginning or running out)."""
    return f'"{hall_id}.{int(version)}.{zlib.crc32(origin.encode()):x}.{zlib.crc32(body):x}"'


def _render(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _player_user_ids(rows: list[dict[str, Any]]) -> set[int]:
    booked = (row["current_session"] for row in rows if row["current_session"])
    return {
        player["user"]["id"]
        for booking in booked
        for player in (booking["player_reserving"], booking["other_player_details"])
        if player
    }


# This process's copies: (hall, origin) -> (version, players' user ids, body, kept until). Each request
# still asks Redis for the version, so a change seen by any process reaches every process at once.
_local: dict[tuple[int, str], tuple[bytes, frozenset[int], bytes, float]] = {}


def tables_snapshot(
    *, hall_id: int, origin: str, viewer_id: int | None, build: Callable[[], list[dict[str, Any]]]
) -> Snapshot:
    """The hall's table list for a viewer on `origin`: the stored one while it is current, else `build()`."""
    version_key, body_key = _VERSION.format(hall_id), _BODY.format(hall_id, origin)
    try:
        version: bytes = redis_client().get(version_key) or b"0"  # type: ignore[assignment]
        copy = _local.get((hall_id, origin))
        if copy is None or copy[0] != version or copy[3] < time.monotonic():
            stored: bytes | None = redis_client().get(body_key)  # type: ignore[assignment]
            if stored is not None:
                stored_version, user_ids, body = stored.split(b"\n", 2)
                players = frozenset(int(uid) for uid in user_ids.split(b",") if uid)
                copy = (stored_version, players, body, time.monotonic() + settings.BOARD_SNAPSHOT_SECONDS)
                _local[(hall_id, origin)] = copy
    except redis.RedisError:
        return Snapshot(_render(build()), None)
    if copy is not None and copy[0] == version and copy[3] >= time.monotonic() and viewer_id not in copy[1]:
        return Snapshot(copy[2], _etag(hall_id, version, origin, copy[2]))
    rows = build()
    body = _render(rows)
    players = frozenset(_player_user_ids(rows))
    if viewer_id in players:
        return Snapshot(body, None)
    _local[(hall_id, origin)] = (version, players, body, time.monotonic() + settings.BOARD_SNAPSHOT_SECONDS)
    record = b"\n".join([version, ",".join(map(str, sorted(players))).encode(), body])
    try:
        redis_client().set(body_key, record, ex=settings.BOARD_SNAPSHOT_SECONDS)
    except redis.RedisError:
        logger.warning("board snapshot of hall %s not stored: Redis unreachable", hall_id)
    return Snapshot(body, _etag(hall_id, version, origin, body))
