"""The lobby in each process's memory: every waiting player's id, rating and position, sorted by rating.

The matchmaking list is read far more often than the lobby changes (10,000 players refreshing every ten
seconds is 1,000 lists a second). Ranking thousands of candidates in SQL per request was the list's whole
cost; here a request cuts its rating window out of sorted arrays and ranks the slice with numpy, by the
same rule and formula as the SQL did (apps/core/geo.py's planar distance).

Fresh enough to say so: every change of who waits is announced to the lobby (apps/realtime/push.py's
push_to_lobby), which bumps a version in Redis; a process rebuilds its index when the version moved and
its copy is older than LOBBY_INDEX_SECONDS (one second), and at the latest every LOBBY_INDEX_MAX_SECONDS
(a rating or a position changed without anyone joining or leaving). One process at a time reads the
waiting players from the database (one query) and shares the columns through Redis; the others take that
copy. The rows of the players that list pages show are kept with the index (`LobbyIndex.rows`), so a
player's name, picture or rating on the list is as fresh as the index. The asking player's own row
(rating, position, waiting time, whether the account is active) is read from the index too when they wait.

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
from datetime import UTC, datetime
from typing import Any

import numpy as np
import redis
from django.conf import settings

from apps.accounts.models import Player
from apps.core.dbfunctions import EpochSeconds
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
    user_ids: np.ndarray  # int64
    looking_since: np.ndarray  # float64, seconds since the epoch, NaN where unknown
    active: np.ndarray  # bool: the account is active
    version: bytes
    built_at: float  # time.time() when read from the database (by whichever process)
    # The players' rows read for list pages since this index was built (by player id): as fresh as the
    # index, and dropped with it. Shared by every request of this process: read only.
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    _positions: dict[int, int] = field(default_factory=dict)  # user id -> position, filled when first asked

    def me_row(self, user_id: int) -> dict[str, Any] | None:
        """A waiting player's own lobby row (the list's `me`, ME_FIELDS), None when they do not wait."""
        if not self._positions and len(self.ids):
            self._positions.update(zip(self.user_ids.tolist(), range(len(self.ids)), strict=True))
        at = self._positions.get(user_id)
        if at is None:
            return None
        since = float(self.looking_since[at])
        return {
            "id": int(self.ids[at]),
            "rating": float(self.ratings[at]),
            "latitude": _or_none(self.latitudes[at]),
            "longitude": _or_none(self.longitudes[at]),
            "inviting_to_play": True,
            "looking_since": None if math.isnan(since) else datetime.fromtimestamp(since, UTC),
            "user__is_active": bool(self.active[at]),
        }


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


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
_COLUMNS = 7  # ids, ratings, latitudes, longitudes, user ids, looking since, active: one float64 row each


def _build(version: bytes) -> LobbyIndex:
    # Every column as a number, the date-time too (EpochSeconds): NULL reads as None, which numpy makes NaN.
    rows = (
        Player.objects.filter(inviting_to_play=True)
        .order_by("rating", "id")
        .annotate(since=EpochSeconds("looking_since"))
        .values_list("id", "rating", "latitude", "longitude", "user_id", "since", "user__is_active")
    )
    table = np.array(list(rows), dtype=np.float64).reshape(-1, _COLUMNS)
    return _from_table(np.ascontiguousarray(table.T), version, time.time())


def _from_table(table: np.ndarray, version: bytes, built_at: float) -> LobbyIndex:
    """An index from its columns (one float64 row each; ids are exact in a float64 below 2**53)."""
    return LobbyIndex(
        ids=table[0].astype(np.int64),
        ratings=table[1],
        latitudes=table[2],
        longitudes=table[3],
        user_ids=table[4].astype(np.int64),
        looking_since=table[5],
        active=table[6] > 0,
        version=version,
        built_at=built_at,
    )


# The last index any process read from the database, for the others: "<version>|<built_at>|" and the
# columns' bytes. One process of a host (or of the fleet) reads 10,000 rows, the others one Redis value.
_SHARED = "lobby:index"
_BUILDING, _BUILDING_MS = "lobby:index:building", 2000


def _publish(index: LobbyIndex) -> None:
    table = np.vstack(
        [index.ids, index.ratings, index.latitudes, index.longitudes, index.user_ids, index.looking_since, index.active]
    ).astype(np.float64)
    head = index.version + b"|" + repr(index.built_at).encode() + b"|"
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            pipe.set(_SHARED, head + table.tobytes(), ex=math.ceil(settings.LOBBY_INDEX_MAX_SECONDS) + 1)
            pipe.delete(_BUILDING)  # the next reading may start as soon as this one is stale
            pipe.execute()
    except redis.RedisError:
        logger.warning("lobby index not shared: Redis unreachable")


def _shared(version: bytes) -> LobbyIndex | None:
    """The index another process published, if it is of this version and still young enough."""
    try:
        blob: bytes | None = redis_client().get(_SHARED)  # type: ignore[assignment]
    except redis.RedisError:
        return None
    if not blob:
        return None
    their_version, built_at_text, data = blob.split(b"|", 2)
    built_at = float(built_at_text)
    if their_version != version or not _young(built_at, moved=False):
        return None
    return _from_table(np.frombuffer(data, dtype=np.float64).reshape(_COLUMNS, -1), version, built_at)


def _young(built_at: float, *, moved: bool) -> bool:
    age = time.time() - built_at
    return 0 <= age < settings.LOBBY_INDEX_MAX_SECONDS and (not moved or age < settings.LOBBY_INDEX_SECONDS)


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
    current = _index
    if current is not None and _young(current.built_at, moved=current.version != version or version == b"?"):
        return current
    with _lock:
        if _index is current or _index is None:  # nobody rebuilt it while this thread waited
            shared = _shared(version) if version != b"?" else None
            if shared is None:
                if current is not None and version != b"?" and not _claim_build():
                    return current  # another process is reading it: ours serves until theirs is shared
                shared = _build(version)
                if version != b"?":
                    _publish(shared)
            _index = shared
        return _index


def _claim_build() -> bool:
    """Whether this process reads the lobby from the database now: one at a time (the others keep their
    copy for the moment it takes), or every process when Redis cannot say."""
    try:
        return bool(redis_client().set(_BUILDING, b"1", nx=True, px=_BUILDING_MS))
    except redis.RedisError:
        return True


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


_BAND_SHARES = (0.25, 1.0, math.inf)


def _band(
    index: LobbyIndex,
    low: int,
    high: int,
    rating: float,
    window: float,
    latitude: float | None,
    longitude: float | None,
    radius_m: float,
    by_location: bool,
    take: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The players between `low` and `high` (index positions): their ids, fits, the positions of the
    `take` best (and of any tied with the last of them), and that last fit (infinite when fewer)."""
    ids = index.ids[low:high]
    fit = np.abs(index.ratings[low:high] - rating) / window
    within: np.ndarray | None = None
    if latitude is not None and longitude is not None:
        metres_per_degree = KM_PER_DEGREE_LATITUDE * 1000
        north = (index.latitudes[low:high] - latitude) * metres_per_degree
        east = (index.longitudes[low:high] - longitude) * (metres_per_degree * math.cos(math.radians(latitude)))
        distance = np.sqrt(north * north + east * east)
        if by_location:
            within = distance <= radius_m  # NaN (no position) compares false: not within the radius
        fit = fit + np.where(np.isnan(distance), radius_m, distance) / radius_m
    candidates = np.flatnonzero(within) if within is not None else np.arange(len(ids))
    if len(candidates) < take:
        return ids, fit, candidates, math.inf
    cut = float(np.partition(fit[candidates], take - 1)[take - 1])
    return ids, fit, candidates[fit[candidates] <= cut], cut


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
    # The excluded are a handful of ids: rank that many more, and drop them from the ranking afterwards.
    take = limit + len(excluded)
    # A player's fit is at least their rating gap / window, so a band of ±share·window around my rating
    # holds everyone whose fit is under `share`: when the `take`-th best fit inside the band is under
    # `share`, nobody outside it can be among the best, nor tie with them. Narrow bands first (a window
    # holds thousands of players, the page needs fifty), the whole window last.
    for share in _BAND_SHARES:
        band_low = max(low, int(np.searchsorted(index.ratings, rating - share * window, side="left")))
        band_high = min(high, int(np.searchsorted(index.ratings, rating + share * window, side="right")))
        whole = band_low == low and band_high == high
        ids, fit, candidates, cut = _band(
            index, band_low, band_high, rating, window, latitude, longitude, radius_m, by_location, take
        )
        if whole or cut < share:
            break
    order = np.lexsort((ids[candidates], fit[candidates]))
    ranked: list[int] = []
    for player_id in ids[candidates][order].tolist():
        if player_id not in excluded:
            ranked.append(player_id)
            if len(ranked) == limit:
                break
    return ranked
