"""The demo night `manage.py seed` plays for a newcomer: a 16-player double elimination on four tables of a
demo hall that is open now, half played (results entered at the desk, so ratings move as for any game), with
live racks on the tables, so the bracket page and the staff board show a tournament running.

Like the rest of the seed it creates what is missing and never changes what exists: if the demo night (by
its name) exists, in whatever state staff left it, nothing happens. Its sixteen entrants are accounts of
their own (`night1` … `night16`), made with it, so the games it plays move only their ratings. When no demo
hall is open for the next two hours it says so and makes nothing; a later seed makes it.

`make run` seeds before any server runs, so pushes go to an in-memory channel layer and Celery messages to
an in-memory broker here (what they would announce is stored anyway); a reachable Redis is still used for
what only Redis holds (marks, the board's stored table list), and an unreachable one is only logged.
"""

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.accounts.services import player_ensure
from apps.core.exceptions import DomainError
from apps.halls.hours import within_opening_hours
from apps.halls.models import HallStaff, PoolHouse
from apps.reservations.models import Reservation
from apps.tournaments import services
from apps.tournaments.models import Match, Tournament

DEMO_NAME = "Demo night 9-ball"
ENTRANTS = 16
TABLES = 4
HOURS = (4, 3, 2)
logger = logging.getLogger(__name__)


@contextmanager
def _offline() -> Iterator[None]:
    """Pushes to an in-memory channel layer, Celery messages to an in-memory broker; quiet warnings."""
    broker = current_app.conf.broker_url
    current_app.conf.broker_url = "memory://"
    quiet = [logging.getLogger(name) for name in ("apps", "celery", "kombu")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.ERROR)
    try:
        with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
            yield
    finally:
        current_app.conf.broker_url = broker
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)


def _where(halls: list[PoolHouse]) -> tuple[PoolHouse, int] | None:
    """The first demo hall open for the next few hours (and how many), with staff to direct."""
    start = timezone.now()
    for hall in halls:
        if not HallStaff.objects.filter(hall=hall).exists():
            continue
        for hours in HOURS:
            if within_opening_hours(hall, start, start + timedelta(hours=hours)):
                return hall, hours
    return None


def _entrants(password_hash: str) -> list[Player]:
    players = []
    for number in range(1, ENTRANTS + 1):
        username = f"night{number}"
        user = User.objects.filter(Q(username=username) | Q(email=f"{username}@strikem.local")).first()
        if user is None:
            user = User.objects.create(
                username=username,
                email=f"{username}@strikem.local",
                password=password_hash,
                first_name="Night",
                last_name=str(number),
                is_active=True,
            )
        player = player_ensure(user=user)
        if not player.games_played:
            Player.objects.filter(pk=player.pk).update(rating=1950 - 40 * number, rating_deviation=90)
        players.append(Player.objects.select_related("user").get(pk=player.pk))
    return players


def demo_night(*, halls: list[PoolHouse], password_hash: str) -> str:
    """Make and half play the demo night if it is missing; a sentence saying what happened."""
    if not settings.SEED_DEMO_NIGHT:
        return "the demo night is switched off (SEED_DEMO_NIGHT)"
    if Tournament.objects.filter(name=DEMO_NAME).exists():
        return "the demo night exists"
    found = _where(halls)
    if found is None:
        return "no demo hall is open for the next two hours, so the demo night waits for a later seed"
    hall, hours = found
    with _offline():
        return _play(hall, hours, password_hash)


def _play(hall: PoolHouse, hours: int, password_hash: str) -> str:
    director = HallStaff.objects.filter(hall=hall).select_related("user").order_by("pk").first()
    assert director is not None
    staff = director.user
    start = timezone.now().replace(second=0, microsecond=0)  # a staff walk-in may start a moment ago
    end = start + timedelta(hours=hours) - timedelta(minutes=5)
    busy = Reservation.objects.filter(
        table__hall=hall, status=Reservation.Status.BOOKED, start_time__lt=end, end_time__gt=start
    ).values_list("table_id", flat=True)
    tables = list(hall.tables.filter(out_of_service=False).exclude(pk__in=list(busy)).order_by("number")[:TABLES])
    if len(tables) < 2:
        return f"{hall.title} has no two tables free for the demo night"
    try:
        tournament = services.tournament_create(
            hall=hall,
            staff_user=staff,
            name=DEMO_NAME,
            game=Tournament.Game.NINE_BALL,
            format=Tournament.Format.DOUBLE_ELIMINATION,
            race_to=5,
            final_race_to=7,
            player_cap=ENTRANTS,
            entry_fee=Decimal("10.00"),
            payout_split=[60, 30, 10],
            table_ids=[table.pk for table in tables],
            registration_opens_at=start - timedelta(hours=3),
            registration_closes_at=start + timedelta(minutes=30),
            check_in_opens_at=start - timedelta(hours=1),
            check_in_closes_at=start,
            starts_at=start,
            ends_at=end,
        )
    except DomainError as error:
        return f"the demo night could not hold its tables ({error.code}: {error.detail})"
    for player in _entrants(password_hash):
        services.tournament_register(tournament_id=tournament.pk, player=player)
        services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff)
    services.tournament_start(tournament_id=tournament.pk, staff_user=staff)
    rng = random.Random(2024)
    decided = 0
    while decided < ENTRANTS - 1:
        match = (
            Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE)
            .select_related("player_a__player", "player_b__player")
            .order_by("called_at", "id")
            .first()
        )
        if match is None:
            break
        a_wins = match.player_a.player.rating >= match.player_b.player.rating or rng.random() < 0.2  # type: ignore[union-attr]
        loser_racks = rng.randint(0, min(match.race_a, match.race_b) - 1)
        services.match_result_by_staff(
            tournament_id=tournament.pk,
            match_id=match.pk,
            staff_user=staff,
            score_a=match.race_a if a_wins else loser_racks,
            score_b=loser_racks if a_wins else match.race_b,
        )
        decided += 1
    for match in Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE).select_related(
        "player_a", "player_b"
    ):
        for _ in range(rng.randint(0, 3)):
            entry = match.player_a if rng.random() < 0.5 else match.player_b
            try:
                services.match_rack(
                    tournament_id=tournament.pk,
                    match_id=match.pk,
                    user=staff,
                    player_id=entry.player_id,  # type: ignore[union-attr]
                )
            except DomainError:
                break
    return (
        f"the demo night at {hall.title} ({decided} matches played, bracket at /tournaments/{tournament.pk}/bracket/)"
    )
