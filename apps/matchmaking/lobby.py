"""The lobby in each process's memory: every waiting player's id, rating and position, sorted by rating.

The matchmaking list is read far more often than the lobby changes (10,000 players refreshing every ten
seconds is 1,000 lists a second). Ranking thousands of candidates in SQL per request was the list's whole
cost; here a request cuts its rating window out of sorted arrays and ranks the slice with numpy, by the
same rule and formula as the SQL did (apps/core/geo.py's planar distance).

Fresh enough to say so: every change of who waits is announced to the lobby (apps/realtime/push.py's
push_to_lobby), which bumps a version in Redis; a process rebuilds its index when the version moved and
its copy is older than LOBBY_INDEX_SECONDS (one second), and at the latest every LOBBY_INDEX_MAX_SECONDS
(a rating or a position changed without anyone joining or leaving). One query of the waiting players'
four columns, a covering index scan. The rows of the players that list pages show are kept with the index
(`LobbyIndex.rows`), so a player's name, picture or rating on the list is as fresh as the index. The
asking player's own row (rating, position, waiting time) is read from the index too when they wait.

Whom a player is kept from (open chats, denials within the cooldown, blocks both ways) is kept per process
and per user (`kept_off`), under a token in Redis that the services changing any of it delete after
commit (`kept_off_changed`); a request reads the lobby's version and its user's token in one round trip.
"""

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import redis
from django.conf import settings

from apps.accounts.models import Player
from apps.core.geo import KM_PER_DEGREE_LATITUDE
from apps.core.redis import redis_client

logger = logging.getLogger(__name__)
_VERSION = "lobby:version"
_KEPT_OFF = "lobby:kept-off:{}"  # + user id


@dataclass(frozen=True)
class LobbyIndex:
    ids: np.ndarray  # int64, in rating order (then id)
    ratings: np.ndarray  # float64
    latitudes: np.ndarray  # float64, NaN where unknown
    longitudes: np.ndarray  # float64, NaN where unknown
    version: bytes
    built_at: float
    # Each waiting player's own lobby row (the list's `me`), by user id.
    me_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The players' rows read for list pages since this index was built (by player id): as fresh as the
    # index, and dropped with it. Shared by every request of this process: read only.
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)


_index: LobbyIndex | None = None
_lock = threading.Lock()


def lobby_changed() -> None:
    """Someone joined or left the lobby: every process's index is stale from now on."""
    try:
        redis_client().incr(_VERSION)
    except redis.RedisError:
        logger.warning("lobby index not invalidated: Redis unreachable (indexes refresh within a few seconds)")


# The columns of a waiting player's own row (`me`), as apps/matchmaking/selectors.py's lobby_me reads them.
ME_FIELDS = ("id", "rating", "latitude", "longitude", "inviting_to_play", "looking_since", "user__is_active")


def _build(version: bytes) -> LobbyIndex:
    rows = list(
        Player.objects.filter(inviting_to_play=True).order_by("rating", "id").values_list("user_id", *ME_FIELDS)
    )
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * (len(ME_FIELDS) + 1)
    return LobbyIndex(
        ids=np.array(columns[1], dtype=np.int64),
        ratings=np.array(columns[2], dtype=np.float64),
        latitudes=np.array([math.nan if v is None else v for v in columns[3]], dtype=np.float64),
        longitudes=np.array([math.nan if v is None else v for v in columns[4]], dtype=np.float64),
        version=version,
        built_at=time.monotonic(),
        me_rows={row[0]: dict(zip(ME_FIELDS, row[1:], strict=True)) for row in rows},
    )


def lobby_read(user_id: int) -> tuple[LobbyIndex, bytes | None]:
    """This process's index, rebuilt when stale, and the token of `user_id`'s kept-off set (None: none
    yet), in one Redis round trip."""
    values: list[bytes | None]
    try:
        values = redis_client().mget(_VERSION, _KEPT_OFF.format(user_id))  # type: ignore[assignment]
    except redis.RedisError:
        values = [b"?", None]
    return _fresh(values[0] or b"0"), values[1]


def _fresh(version: bytes) -> LobbyIndex:
    global _index
    current, now = _index, time.monotonic()
    if current is not None:
        age = now - current.built_at
        moved = current.version != version or version == b"?"
        if age < settings.LOBBY_INDEX_MAX_SECONDS and (not moved or age < settings.LOBBY_INDEX_SECONDS):
            return current
    with _lock:
        if _index is current or _index is None:  # nobody rebuilt it while this thread waited
            _index = _build(version)
        return _index


# Whom each user is kept from, by user id: (token, rows as `load` gave them, when read). Bounded: emptied
# when full (a user's next list reads theirs again). A copy is read again after _KEPT_SECONDS whatever the
# token says: an invalidation lost while Redis was unreachable does not last.
_kept: dict[int, tuple[bytes, Any, float]] = {}
_KEPT_MAX = 20_000
_KEPT_SECONDS = 300.0


def kept_off(user_id: int, token: bytes | None, load: Callable[[], Any]) -> Any:
    """`load()` (whom `user_id` is kept from), or this process's copy while `token` (from `lobby_read`) is
    the one it was read under. Without a token a new one is stored before reading, so a change committed
    after the read deletes it (`kept_off_changed`) and the next request reads again."""
    cached, now = _kept.get(user_id), time.monotonic()
    if token is not None and cached is not None and cached[0] == token and now - cached[2] < _KEPT_SECONDS:
        return cached[1]
    if token is None:
        fresh = uuid.uuid4().hex.encode()
        try:
            earlier = redis_client().set(_KEPT_OFF.format(user_id), fresh, nx=True, get=True)
        except redis.RedisError:
            return load()  # nothing kept without Redis to say when it changes
        token = earlier if isinstance(earlier, bytes) else fresh
    rows = load()
    if len(_kept) >= _KEPT_MAX:
        _kept.clear()
    _kept[user_id] = (token, rows, now)
    return rows


def kept_off_changed(*user_ids: int) -> None:
    """Whom these users are kept from changed (a chat opened, hidden or shown again, a denial, a block):
    their kept copies are stale. Call after commit."""
    try:
        redis_client().delete(*(_KEPT_OFF.format(user_id) for user_id in user_ids))
    except redis.RedisError:
        logger.warning("kept-off sets not invalidated: Redis unreachable (lists may show them until it is back)")


def ranked_ids(
    index: LobbyIndex,
    *,
    rating: float,
    window: float,
    latitude: float | None,
    longitude: float | None,
    radius_m: float,
    by_rating: bool,
    by_location: bool,
    excluded: set[int],
    limit: int,
) -> list[int]:
    """Candidate ids, best fit first: fit = rating gap / window + distance / radius (a player without a
    position counts as a full radius away), ties by id; within the window when `by_rating`, within the
    radius when `by_location` and my position is known."""
    if by_rating:
        low = int(np.searchsorted(index.ratings, rating - window, side="left"))
        high = int(np.searchsorted(index.ratings, rating + window, side="right"))
    else:
        low, high = 0, len(index.ids)
    ids = index.ids[low:high]
    keep = ~np.isin(ids, np.fromiter(excluded, dtype=np.int64, count=len(excluded)))
    fit = np.abs(index.ratings[low:high] - rating) / window
    if latitude is not None and longitude is not None:
        metres_per_degree = KM_PER_DEGREE_LATITUDE * 1000
        north = (index.latitudes[low:high] - latitude) * metres_per_degree
        east = (index.longitudes[low:high] - longitude) * (metres_per_degree * math.cos(math.radians(latitude)))
        distance = np.sqrt(north * north + east * east)
        if by_location:
            keep &= distance <= radius_m  # NaN (no position) compares false: not within the radius
        fit = fit + np.where(np.isnan(distance), radius_m, distance) / radius_m
    candidates = np.flatnonzero(keep)
    if len(candidates) > limit:
        # The `limit` best by fit, then every candidate tied with the last of them, so ids break ties.
        cut = np.partition(fit[candidates], limit - 1)[limit - 1]
        candidates = candidates[fit[candidates] <= cut]
    order = np.lexsort((ids[candidates], fit[candidates]))[:limit]
    return [int(player_id) for player_id in ids[candidates][order]]
