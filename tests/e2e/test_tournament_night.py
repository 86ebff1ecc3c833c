"""A tournament night end to end: a real Daphne and Celery worker, sixteen players on their own sockets (the
`websockets` client), a watcher on the public socket and the bracket page in headless Chromium (Playwright).
The director starts a double elimination on four tables over REST; every match is called to a table as one
frees, both players report the score over the socket (the winner scoring a rack live first), and it plays to
its champion, grand-final reset included, while the watcher and the page follow without a reload."""

import asyncio
import json
import shutil
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from django.db.models import Q
from django.utils import timezone
from playwright.async_api import async_playwright

from apps.accounts.models import Player
from apps.ratings.models import GameResult
from apps.reservations.models import GameSession, Reservation
from apps.tournaments import services
from apps.tournaments.models import Match, Tournament
from tests.factories import PASSWORD, HallStaffFactory, PlayerFactory, TableFactory
from tests.processes import ROOT, celery_worker, daphne_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PLAYERS = 16
TABLES = 4
RACE = 3


def _tournament_night(hall) -> tuple[Tournament, Any, list[Player]]:
    """Sixteen registered, checked-in players (ratings 2250 down to 1500) and a director, four tables."""
    staff = PlayerFactory()
    HallStaffFactory(hall=hall, user=staff.user)
    tables = [TableFactory(hall=hall, number=number) for number in range(1, TABLES + 1)]
    now = timezone.now().replace(microsecond=0)
    tournament = services.tournament_create(
        hall=hall,
        staff_user=staff.user,
        name="Thursday 9-ball",
        game=Tournament.Game.NINE_BALL,
        format=Tournament.Format.DOUBLE_ELIMINATION,
        race_to=RACE,
        final_race_to=RACE + 1,
        table_ids=[table.pk for table in tables],
        registration_opens_at=now - timedelta(hours=2),
        registration_closes_at=now + timedelta(minutes=30),
        check_in_opens_at=now - timedelta(hours=1),
        check_in_closes_at=now,
        starts_at=now,
        ends_at=now + timedelta(hours=5),
    )
    players = [PlayerFactory(rating=2250 - 50 * index) for index in range(PLAYERS)]
    for player in players:
        services.tournament_register(tournament_id=tournament.pk, player=player)
        services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff.user)
    return tournament, staff, players


class Seat:
    """One player at the night: a JWT, a socket, and the rule the test plays by (the better rating wins,
    except the first grand final, which the player from the losers' side wins, so the reset is played)."""

    def __init__(self, base: str, player: Player, ratings: dict[str, float], tournament_id: int) -> None:
        self.base, self.player, self.ratings, self.tournament_id = base, player, ratings, tournament_id
        self.username = player.user.username
        self.called: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.scored: set[int] = set()
        self.finished = asyncio.Event()

    async def open(self) -> None:
        http = requests.Session()
        login = {"username": self.username, "password": PASSWORD}
        token = (await asyncio.to_thread(http.post, f"{self.base}/auth/jwt/create", json=login, timeout=10)).json()
        http.headers["Authorization"] = f"JWT {token['access']}"
        answer = await asyncio.to_thread(http.get, f"{self.base}/users/auth_for_ws_connection/", timeout=10)
        self.socket = await websockets.connect(
            f"{self.base.replace('http', 'ws')}/ws/base/?uuid={answer.json()['uuid']}"
        )
        await self.send({"action": "tournament", "protocol": "watch", "tournament_id": self.tournament_id})

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    def _i_win(self, called: dict[str, Any]) -> bool:
        mine, theirs = self.ratings[self.username], self.ratings[called["opponent_username"]]
        return mine < theirs if called["match_key"] == "GF1" else mine > theirs

    async def play(self) -> None:
        """Read frames until the tournament is over: each called match is played by the rule above."""
        pending: dict[int, dict[str, Any]] = {}
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame.get("type") == "error":
                self.errors.append(frame)
            elif frame.get("protocol") == "match_called":
                self.called.append(frame)
                pending[frame["match_id"]] = frame
                base = {"action": "tournament", "tournament_id": self.tournament_id, "match_id": frame["match_id"]}
                if self._i_win(frame):  # the winner scores a rack live, then reports
                    await self.send({**base, "protocol": "rack", "player": self.player.pk})
                    await self._report(frame, won=True)
            elif frame.get("protocol") == "tournament_update":
                card = frame.get("match")
                if card and card["id"] in pending and frame["event"] in ("score", "reported"):
                    called = pending[card["id"]]
                    if not self._i_win(called) and card["id"] not in self.scored:
                        self.scored.add(card["id"])
                        await self._report(called, won=False)  # the loser agrees once the winner has scored
                if card and card["id"] in pending and card["state"] == "done":
                    pending.pop(card["id"])
                if frame["tournament"] and frame["tournament"]["state"] == "finished":
                    self.finished.set()
                    return

    async def _report(self, called: dict[str, Any], *, won: bool) -> None:
        winner_race = called["race_to"] if won else called["opponent_race_to"]
        mine, theirs = (winner_race, 1) if won else (1, winner_race)
        frame = {
            "action": "tournament",
            "protocol": "report",
            "tournament_id": self.tournament_id,
            "match_id": called["match_id"],
            "my_score": mine,
            "opponent_score": theirs,
        }
        await self.send(frame)


async def test_sixteen_players_play_a_double_elimination_on_four_tables_to_its_champion(hall) -> None:
    tournament, staff, players = await database_sync_to_async(_tournament_night)(hall)
    ratings = {player.user.username: player.rating for player in players}
    best = max(players, key=lambda player: player.rating)
    with daphne_server("daphne-night") as base, celery_worker(name="worker-night"):
        seats = [Seat(base, player, ratings, tournament.pk) for player in players]
        for seat in seats:
            await seat.open()
        watcher = await websockets.connect(f"{base.replace('http', 'ws')}/ws/public/")
        await watcher.send(json.dumps({"action": "tournament", "protocol": "watch", "tournament_id": tournament.pk}))
        snapshot = json.loads(await watcher.recv())
        assert snapshot["protocol"] == "tournament_snapshot" and snapshot["tournament"]["state"] == "registration"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1920, "height": 1080})
                await page.goto(f"{base}/tournaments/{tournament.pk}/bracket/")
                await page.wait_for_selector("#status.live", timeout=15000)
                await page.evaluate("window.stillTheSamePage = true")
                watched: list[dict[str, Any]] = []

                async def watch() -> None:
                    async for raw in watcher:
                        frame = json.loads(raw)
                        watched.append(frame)
                        if frame.get("tournament") and frame["tournament"]["state"] == "finished":
                            return

                players_done = [asyncio.create_task(seat.play()) for seat in seats]
                watching = asyncio.create_task(watch())
                director = requests.Session()
                login = {"username": staff.user.username, "password": PASSWORD}
                token = (
                    await asyncio.to_thread(director.post, f"{base}/auth/jwt/create", json=login, timeout=10)
                ).json()
                director.headers["Authorization"] = f"JWT {token['access']}"
                started = await asyncio.to_thread(
                    director.post, f"{base}/api/tournaments/{tournament.pk}/start/", timeout=20
                )
                assert started.status_code == 200, started.text
                # Halfway through, the bracket page has followed along: a picture for the README.
                try:
                    async with asyncio.timeout(120):
                        while sum(1 for f in watched if f.get("event") == "result") < 15:
                            await asyncio.sleep(0.2)
                except TimeoutError:
                    pytest.fail(await database_sync_to_async(_where_it_stands)(tournament, seats, watched))
                await page.wait_for_function("document.querySelectorAll('.match.done').length >= 12", timeout=20000)
                await page.screenshot(path=str(ROOT / "var" / "tournament-bracket.png"))
                try:
                    async with asyncio.timeout(240):
                        await asyncio.gather(*players_done, watching)
                except TimeoutError:
                    pytest.fail(await database_sync_to_async(_where_it_stands)(tournament, seats, watched))
                champion = best.user.username
                await page.wait_for_selector(f".champion:has-text('{champion}')", timeout=20000)
                assert await page.evaluate("window.stillTheSamePage === true")  # followed without a reload
                assert await page.locator(".match.done").count() == 2 * PLAYERS - 1
            finally:
                await browser.close()
        await watcher.close()
        for seat in seats:
            await seat.socket.close()

    assert all(not seat.errors for seat in seats), [seat.errors for seat in seats if seat.errors]
    await database_sync_to_async(_check_the_night)(tournament, seats, best, watched)


def _where_it_stands(tournament: Tournament, seats: list[Seat], watched: list[dict]) -> str:
    """What a stalled night looks like, for the failure message."""
    matches = Match.objects.filter(tournament=tournament).exclude(state=Match.State.DONE).order_by("id")
    lines = [f"{m.key} {m.state} a={m.player_a_id} b={m.player_b_id} table={m.on_table_id}" for m in matches]
    lines += [f"{seat.username}: called {len(seat.called)}, errors {seat.errors}" for seat in seats]
    lines.append(f"watcher saw {Counter(frame.get('event') for frame in watched)}")
    return "\n".join(lines)


def _check_the_night(tournament: Tournament, seats: list[Seat], best: Player, watched: list[dict]) -> None:
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.FINISHED and tournament.champion_id == best.pk
    played = list(Match.objects.filter(tournament=tournament, state=Match.State.DONE).select_related("session"))
    assert len(played) == 2 * PLAYERS - 1  # the grand final was reset: 2n - 1 matches
    assert Match.objects.filter(tournament=tournament, key="GF2", state=Match.State.DONE).exists()
    # Every game moved ratings exactly once: one final result per match, games counted once per player.
    finals = GameResult.objects.filter(session__tournament_match__tournament=tournament, status=GameResult.Status.FINAL)
    assert finals.count() == len(played)
    appearances: Counter[int] = Counter()
    for match in played:
        appearances.update([match.player_a.player_id, match.player_b.player_id])
    for seat in seats:
        player = Player.objects.get(pk=seat.player.pk)
        assert player.games_played == appearances[player.pk]
        # Each player's own sockets were told of every match they were called to.
        assert len(seat.called) == appearances[player.pk], seat.username
        assert all(called["table_number"] in range(1, TABLES + 1) for called in seat.called)
    # Nobody lost fewer than twice but the champion; nobody was out before losing twice.
    losses: Counter[int] = Counter(m.player_b_id if m.winner_id == m.player_a_id else m.player_a_id for m in played)
    champion_entry = next(e for e in tournament.entries.all() if e.player_id == best.pk)
    assert losses[champion_entry.pk] == 1 and all(count == 2 for pk, count in losses.items() if pk != champion_entry.pk)
    # Never two matches on one table, never one player on two tables at once: the sessions say so.
    sessions = list(GameSession.objects.filter(tournament_match__tournament=tournament).select_related("reservation"))
    assert len(sessions) == len(played) and all(session.ended_at is not None for session in sessions)
    for first in sessions:
        for second in sessions:
            if first.pk >= second.pk or not (first.started_at < second.ended_at and second.started_at < first.ended_at):
                continue
            assert first.table_id != second.table_id, (first.pk, second.pk)
            players_first = {first.reservation.player_reserving_id, first.reservation.other_player_id}
            players_second = {second.reservation.player_reserving_id, second.reservation.other_player_id}
            assert not players_first & players_second, (first.pk, second.pk)
    # The holds kept the tables and never started a game of their own, even with the worker running.
    holds = Reservation.objects.filter(tournament_hold__tournament=tournament)
    assert holds.count() == TABLES and not GameSession.objects.filter(reservation__in=holds).exists()
    assert not GameSession.objects.filter(~Q(tournament_match__tournament=tournament)).exists()
    # The watcher saw the night unfold in order.
    updates = [frame for frame in watched if frame.get("protocol") == "tournament_update"]
    assert sum(1 for frame in updates if frame["event"] == "result") == len(played)
    assert any(frame["event"] == "score" for frame in updates)
    assert updates[-1]["tournament"]["champion"]["player_id"] == best.pk
