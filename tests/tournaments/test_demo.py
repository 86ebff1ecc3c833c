"""`manage.py seed` plays a demo tournament night for a newcomer: half played and running when a demo hall is
open, made once, and left alone afterwards like every seeded row. The clock is pinned: the hour decides."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from apps.accounts.models import Player
from apps.ratings.models import GameResult
from apps.reservations.models import GameSession
from apps.tournaments.demo import DEMO_NAME, ENTRANTS
from apps.tournaments.models import Match, Tournament

pytestmark = pytest.mark.django_db(transaction=True)


def _seed() -> str:
    out = io.StringIO()
    call_command("seed", stdout=out)
    return out.getvalue()


def test_seed_plays_a_demo_night_half_way_and_leaves_it_alone_afterwards(settings) -> None:
    settings.SEED_DEMO_NIGHT = True
    # 18:00 in Tbilisi: every demo hall is open; the first one with staff, Cue Club Vake, takes it.
    with time_machine.travel(datetime(2026, 3, 10, 14, 0, tzinfo=UTC), tick=True):
        output = _seed()
        tournament = Tournament.objects.get(name=DEMO_NAME)
        assert "the demo night at Cue Club Vake" in output and tournament.hall.slug == "cue-club-vake"
        assert tournament.state == Tournament.State.RUNNING
        assert tournament.entries.filter(seed__isnull=False).count() == ENTRANTS
        decided = Match.objects.filter(tournament=tournament, state=Match.State.DONE).count()
        playing = Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE).count()
        assert decided == ENTRANTS - 1 and playing == 4  # half of 30 or 31, and its four tables busy
        assert (
            GameResult.objects.filter(status="final", session__tournament_match__tournament=tournament).count()
            == decided
        )
        assert GameSession.objects.filter(ended_at__isnull=True).count() == 4
        # Only the night's own entrants played: the demo players keep their seeded ratings.
        assert not Player.objects.filter(user__username__startswith="player", games_played__gt=0).exists()
        before = list(
            Match.objects.filter(tournament=tournament).order_by("id").values_list("state", "score_a", "score_b")
        )

        again = _seed()

        assert "the demo night exists" in again
        assert Tournament.objects.filter(name=DEMO_NAME).count() == 1
        after = list(
            Match.objects.filter(tournament=tournament).order_by("id").values_list("state", "score_a", "score_b")
        )
        assert after == before


def test_no_demo_night_while_every_demo_hall_is_closed(settings) -> None:
    settings.SEED_DEMO_NIGHT = True
    with time_machine.travel(datetime(2026, 3, 10, 1, 0, tzinfo=UTC), tick=True):  # 05:00 in Tbilisi
        output = _seed()
    assert "no demo hall is open" in output and not Tournament.objects.exists()
