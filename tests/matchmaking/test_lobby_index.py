"""The lobby index ranks exactly by the matchmaking rules, and is as fresh as it says."""

import math
import random

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.geo import KM_PER_DEGREE_LATITUDE
from apps.matchmaking import lobby
from apps.matchmaking.lobby import LobbyIndex, ranked_ids
from apps.matchmaking.services import lobby_set_looking
from tests.factories import PlayerFactory

RADIUS = 25_000.0


def _index(players: list[tuple[int, float, float | None, float | None]]) -> LobbyIndex:
    players = sorted(players, key=lambda p: (p[1], p[0]))
    return LobbyIndex(
        ids=np.array([p[0] for p in players], dtype=np.int64),
        ratings=np.array([p[1] for p in players], dtype=np.float64),
        latitudes=np.array([math.nan if p[2] is None else p[2] for p in players], dtype=np.float64),
        longitudes=np.array([math.nan if p[3] is None else p[3] for p in players], dtype=np.float64),
        user_ids=np.array([p[0] for p in players], dtype=np.int64),
        looking_since=np.full(len(players), math.nan),
        active=np.ones(len(players), dtype=bool),
        version=b"0",
        built_at=0.0,
    )


def _oracle(players, *, rating, window, latitude, longitude, by_rating, by_location, excluded, limit):
    """The rules, one player at a time, as the SQL of the first server wrote them."""
    rows = []
    for player_id, their_rating, lat, lng in players:
        if player_id in excluded or (by_rating and not rating - window <= their_rating <= rating + window):
            continue
        fit = abs(their_rating - rating) / window
        if latitude is not None:
            if lat is None:
                if by_location:
                    continue
                fit += 1.0
            else:
                mpd = KM_PER_DEGREE_LATITUDE * 1000
                north = (lat - latitude) * mpd
                east = (lng - longitude) * (mpd * math.cos(math.radians(latitude)))
                distance = math.sqrt(north * north + east * east)
                if by_location and distance > RADIUS:
                    continue
                fit += distance / RADIUS
        rows.append((fit, player_id))
    return [player_id for _fit, player_id in sorted(rows)[:limit]]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(0, 300),
    by_rating=st.booleans(),
    by_location=st.booleans(),
    located=st.booleans(),
    limit=st.integers(1, 60),
)
def test_the_index_ranks_as_the_rules_say(seed, size, by_rating, by_location, located, limit):
    rng = random.Random(seed)
    players = [
        (
            n + 2,
            float(round(rng.gauss(1500, 250))),  # whole ratings: ties happen and ids must break them
            None if rng.random() < 0.1 else 41.7 + rng.uniform(-0.4, 0.4),
            None,
        )
        for n in range(size)
    ]
    players = [(i, r, lat, None if lat is None else 44.8 + rng.uniform(-0.5, 0.5)) for i, r, lat, _ in players]
    excluded = {1, *(p[0] for p in players if rng.random() < 0.05)}
    query = {
        "rating": 1500.0,
        "window": rng.choice([200.0, 325.0, 600.0]),
        "latitude": 41.7 if located else None,
        "longitude": 44.8 if located else None,
        "by_rating": by_rating,
        "by_location": by_location,
        "excluded": excluded,
        "limit": limit,
    }
    assert ranked_ids(_index(players), radius_m=RADIUS, **query) == _oracle(players, **query)


@pytest.mark.django_db
def test_joining_and_leaving_show_within_the_freshness_it_promises(
    client_for, settings, django_capture_on_commit_callbacks
):
    settings.LOBBY_INDEX_SECONDS = 0  # rebuild as soon as the version moves
    me, other = PlayerFactory(), PlayerFactory()

    def looking(player, flag: bool) -> None:
        with django_capture_on_commit_callbacks(execute=True):  # the announcement runs after commit
            lobby_set_looking(player=player, looking=flag)

    looking(me, True)

    def listed() -> list[int]:
        return [row["id"] for row in client_for(me.user).get("/api/filter-ratings/").json()]

    assert listed() == []
    looking(other, True)
    assert listed() == [other.pk]
    looking(other, False)
    assert listed() == []


@pytest.mark.django_db
def test_an_unannounced_change_is_seen_after_the_longest_wait(client_for, settings):
    me, other = PlayerFactory(inviting_to_play=True), PlayerFactory()
    assert client_for(me.user).get("/api/filter-ratings/").json() == []
    other.inviting_to_play = True
    other.save()  # not through the service: nobody announced it
    assert client_for(me.user).get("/api/filter-ratings/").json() == []  # the copy is still fresh enough
    settings.LOBBY_INDEX_MAX_SECONDS = 0
    assert [row["id"] for row in client_for(me.user).get("/api/filter-ratings/").json()] == [other.pk]
    assert lobby._index is not None and other.pk in lobby._index.ids


@pytest.mark.django_db
def test_one_process_reads_the_lobby_and_the_others_take_its_copy(django_assert_num_queries):
    """The index read from the database is shared through Redis: another process (here: this one with its
    copy dropped) takes it without a query, with every waiting player's own row intact; a copy of an
    older lobby version is not taken."""
    waiting = PlayerFactory(inviting_to_play=True, looking_since=timezone.now(), latitude=41.7, longitude=44.8)
    away = PlayerFactory(inviting_to_play=True, looking_since=None)
    away.user.is_active = False
    away.user.save()
    built = lobby._fresh(b"7")
    lobby._index = None
    with django_assert_num_queries(0):
        taken = lobby._fresh(b"7")
    assert taken is not built and taken.built_at == built.built_at
    for column in ("ids", "ratings", "latitudes", "longitudes", "user_ids", "looking_since", "active"):
        assert np.array_equal(getattr(taken, column), getattr(built, column), equal_nan=True)
    mine = taken.me_row(waiting.user_id)
    assert mine is not None and mine["id"] == waiting.pk and mine["user__is_active"] is True
    assert abs((mine["looking_since"] - waiting.looking_since).total_seconds()) < 1e-5
    assert (mine["latitude"], mine["longitude"]) == (41.7, 44.8)
    theirs = taken.me_row(away.user_id)
    assert theirs is not None and theirs["looking_since"] is None and theirs["user__is_active"] is False
    assert taken.me_row(10**9) is None
    lobby._index = None
    with django_assert_num_queries(1):
        lobby._fresh(b"8")  # the lobby moved on: read again
