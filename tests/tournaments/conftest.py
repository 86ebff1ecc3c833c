"""A hall with tables and staff, a tournament made through the service, and a way to run what services
leave for after commit (the bracket advancing, the next match called) inside a test's transaction."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import Player
from apps.tournaments import services
from apps.tournaments.models import Tournament
from tests.factories import HallStaffFactory, PlayerFactory, TableFactory


@pytest.fixture
def staff(hall) -> Player:
    member = PlayerFactory()
    member.user.is_staff = True
    member.user.save(update_fields=["is_staff"])
    HallStaffFactory(hall=hall, user=member.user)
    return member


@pytest.fixture
def tables(hall) -> list:
    return [TableFactory(hall=hall, number=number) for number in range(1, 5)]


@pytest.fixture
def settle(django_capture_on_commit_callbacks) -> Callable[..., Any]:
    """settle(fn, *args, **kwargs): call it, then run what it left for after commit (and what those leave),
    as a real commit would."""

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def windows(now=None, *, starts_in: timedelta = timedelta(0)) -> dict[str, Any]:
    """Registration open now, check-in open until the start (`starts_in` from now)."""
    now = (now or timezone.now()).replace(microsecond=0)
    starts = now + starts_in
    return {
        "registration_opens_at": now - timedelta(hours=2),
        "registration_closes_at": starts + timedelta(minutes=30),
        "check_in_opens_at": now - timedelta(hours=1),
        "check_in_closes_at": starts,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=6),
    }


@pytest.fixture
def make_tournament(hall, staff, tables, settle) -> Iterator[Callable[..., Tournament]]:
    def make(
        players: int = 0,
        *,
        table_count: int = 2,
        check_in: bool = True,
        start: bool = False,
        ratings: list[float] | None = None,
        starts_in: timedelta = timedelta(0),
        **rules: Any,
    ) -> Tournament:
        tournament = services.tournament_create(
            hall=hall,
            staff_user=staff.user,
            name="Friday 8-ball",
            table_ids=[table.pk for table in tables[:table_count]],
            **{**windows(starts_in=starts_in), **rules},
        )
        for index in range(players):
            rating = ratings[index] if ratings else 1500.0 + 10 * (players - index)
            player = PlayerFactory(rating=rating)
            services.tournament_register(tournament_id=tournament.pk, player=player)
            if check_in:
                services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff.user)
        if start:
            settle(services.tournament_start, tournament_id=tournament.pk, staff_user=staff.user)
        tournament.refresh_from_db()
        return tournament

    yield make
