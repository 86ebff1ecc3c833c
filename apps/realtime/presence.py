"""Who is online, true across Daphne processes and several sockets per player.

Each player has a Redis sorted set of their open sockets (channel names) scored by the last heartbeat.
One task per process refreshes the scores of all its sockets every PRESENCE_HEARTBEAT_SECONDS, so a
socket of a process that died stops counting after three missed beats. A player is online while any
socket has a fresh score.
"""

import asyncio
import time
import weakref
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from apps.core.redis import async_redis_client, redis_client

_KEY = "presence:{}"
_local_sockets: dict[str, int] = {}  # channel name -> player id, for this process
# Keyed by event loop (weakly): a task belongs to the loop that made it.
_heartbeats: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]]" = weakref.WeakKeyDictionary()


def _stale_before() -> float:
    return time.time() - 3 * settings.PRESENCE_HEARTBEAT_SECONDS


# One command refreshes a batch of sockets. A pipeline of a ZADD and an EXPIRE per socket made the process pack
# two commands and parse two replies per socket: 0.4-0.7 s of CPU per beat with 10,000 sockets (2-3% of a core
# at one beat every 20 s), against about 50 ms this way. KEYS[i] is the presence key of the socket ARGV[i + 2].
_REFRESH = """
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[i + 2])
  redis.call('EXPIRE', key, ARGV[2])
end
"""
# Sockets per command: Redis runs a script alone, so a batch keeps it busy for about a millisecond.
_REFRESH_BATCH = 1000
_refresh_scripts: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()


async def presence_refresh() -> None:
    """Mark every socket of this process as alive now (what each heartbeat does)."""
    loop = asyncio.get_running_loop()
    script = _refresh_scripts.get(loop)
    if script is None:
        script = _refresh_scripts[loop] = async_redis_client().register_script(_REFRESH)
    sockets = list(_local_sockets.items())
    now = time.time()
    ttl = 6 * settings.PRESENCE_HEARTBEAT_SECONDS
    for start in range(0, len(sockets), _REFRESH_BATCH):
        batch = sockets[start : start + _REFRESH_BATCH]
        await script(
            keys=[_KEY.format(player_id) for _channel, player_id in batch],
            args=[now, ttl, *(channel for channel, _player_id in batch)],
        )


async def _beat() -> None:
    while True:
        await asyncio.sleep(settings.PRESENCE_HEARTBEAT_SECONDS)
        if not _local_sockets:
            continue
        try:
            await presence_refresh()
        except Exception:  # noqa: BLE001 - the next beat tries again; presence degrades, sockets live on
            continue


def _ensure_heartbeat() -> None:
    loop = asyncio.get_running_loop()
    task = _heartbeats.get(loop)
    if task is None or task.done():
        _heartbeats[loop] = loop.create_task(_beat())


async def presence_connect(*, player_id: int, channel_name: str) -> None:
    _local_sockets[channel_name] = player_id
    _ensure_heartbeat()
    key = _KEY.format(player_id)
    async with async_redis_client().pipeline(transaction=False) as pipe:
        pipe.zadd(key, {channel_name: time.time()})
        pipe.expire(key, 6 * settings.PRESENCE_HEARTBEAT_SECONDS)
        await pipe.execute()


async def presence_disconnect(*, player_id: int, channel_name: str) -> bool:
    """Forget this socket; True when it was the player's last live one anywhere."""
    _local_sockets.pop(channel_name, None)
    key = _KEY.format(player_id)
    async with async_redis_client().pipeline(transaction=False) as pipe:
        pipe.zrem(key, channel_name)
        pipe.zcount(key, _stale_before(), "+inf")
        _removed, remaining = await pipe.execute()
    return int(remaining) == 0


# One command for a whole list, answering one character per player ("1": a live socket). A pipeline of one
# ZCOUNT per player, and parsing a reply per player, cost more than the list's own query.
_COUNT_LIVE = """
local live = {}
for i, key in ipairs(KEYS) do
  live[i] = redis.call('ZCOUNT', key, ARGV[1], '+inf') > 0 and '1' or '0'
end
return table.concat(live)
"""
_count_live: Any = None


# What `presence_online_ids(..., seconds=...)` read, by player id: (online, when read by time.monotonic()).
_seen: dict[int, tuple[bool, float]] = {}
_SEEN_MAX = 50_000


def presence_online_ids(player_ids: Iterable[int], *, seconds: float = 0.0) -> set[int]:
    """Which of these players have a live socket: one Redis command for the whole list. With `seconds`,
    an answer this process read for a player less than that long ago stands (a list many players poll,
    where an online dot a second old is fresh enough); only the others are asked."""
    ids = list(player_ids)
    if not seconds:
        return _ask(ids)
    now = time.monotonic()
    known = {pk: seen for pk in ids if (seen := _seen.get(pk)) is not None and now - seen[1] < seconds}
    asked = [pk for pk in ids if pk not in known]
    online = _ask(asked)
    if asked:
        if len(_seen) > _SEEN_MAX:
            _seen.clear()
        _seen.update((pk, (pk in online, now)) for pk in asked)
    return online | {pk for pk, (live, _at) in known.items() if live}


def _ask(ids: list[int]) -> set[int]:
    global _count_live
    if not ids:
        return set()
    try:
        client = redis_client()
        if _count_live is None:
            _count_live = client.register_script(_COUNT_LIVE)
        live = _count_live(keys=[_KEY.format(player_id) for player_id in ids], args=[_stale_before()], client=client)
    except Exception:  # noqa: BLE001 - Redis down: nobody shows as online, the request still answers
        return set()
    return {player_id for player_id, flag in zip(ids, bytes(live), strict=True) if flag == ord("1")}
