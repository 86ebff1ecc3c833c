from datetime import timedelta

import pytest
from django.utils import timezone

from apps.matchmaking.models import Matchup
from apps.matchmaking.services import auto_pair_wave
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _waiting(rating, minutes=1, **extra):
    return PlayerFactory(
        rating=rating,
        inviting_to_play=True,
        auto_pair=True,
        looking_since=timezone.now() - timedelta(minutes=minutes),
        **extra,
    )


def _pairs() -> set[frozenset[int]]:
    return {frozenset(pair) for pair in Matchup.objects.values_list("player_inviting_id", "player_accepting_id")}


def test_a_wave_pairs_closest_ratings_and_takes_them_out_of_the_lobby():
    a, b, c, d = _waiting(1500, 5), _waiting(1900, 4), _waiting(1520, 3), _waiting(1880, 2)
    manual = PlayerFactory(rating=1510, inviting_to_play=True, looking_since=timezone.now())  # did not ask
    assert auto_pair_wave() == 2
    assert _pairs() == {frozenset((a.id, c.id)), frozenset((b.id, d.id))}
    for player in (a, b, c, d):
        player.refresh_from_db()
        assert player.inviting_to_play is False
    manual.refresh_from_db()
    assert manual.inviting_to_play is True


def test_nobody_outside_the_rating_window_or_the_radius_is_paired():
    _waiting(1200, 0)
    _waiting(1800, 0)  # 600 apart, and 300 from the others; the window is 200 (+ growth)
    _waiting(1500, 0, latitude=41.7, longitude=44.8)
    _waiting(1500, 0, latitude=48.8, longitude=2.3)  # Paris, far past the radius
    assert auto_pair_wave() == 0


def test_never_the_same_pair_twice():
    a, b = _waiting(1500), _waiting(1510)
    assert auto_pair_wave() == 1
    for player in (a, b):
        player.inviting_to_play = True
        player.save()
    assert auto_pair_wave() == 0
    c = _waiting(1600)
    assert auto_pair_wave() == 1
    assert frozenset((a.id, c.id)) in _pairs() or frozenset((b.id, c.id)) in _pairs()


def test_auto_pair_over_rest_turns_looking_on(client_for, player):
    body = client_for(player.user).post("/api/lobby/", {"auto_pair": True}, format="json").json()
    assert body["auto_pair"] is True and body["inviting_to_play"] is False  # looking stays as it was
    body = client_for(player.user).post("/api/lobby/", {"looking": True}, format="json").json()
    assert body["inviting_to_play"] is True and body["auto_pair"] is True
