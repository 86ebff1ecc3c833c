"""Table freeing -> next match called: a 128-player double elimination on 8 tables, every player on their own
socket (Daphne), reports over REST (Gunicorn). Each sample: a player of a match being played reports its
score (the first report ends the game, so its table frees); measured until both players of the match then
called to that table have its `match_called` frame on their sockets. Target: p99 <= 100 ms.

Baseline in the same run: a bare push (`push_to_user` from this process) to one of those sockets through the
same channel layer and Daphne: the last hop every `match_called` takes.
"""

import asyncio
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    QUICK,
    access_token,
    bench_hall,
    bench_users,
    free_port,
    gunicorn_command,
    print_table,
    process,
    ratio,
    setup_django,
    summary,
)
from deploy.servers import daphne_command

PLAYERS = 128
TABLES = 8
SAMPLES = 100 if QUICK else 250
_REST: list[float] = []


def started_tournament(slug: str, *, players: int, tables: int) -> tuple[Any, Any, list[Any]]:
    """A double elimination of `players` (ratings 1200 up, in steps of 7) on `tables` tables of a fresh bench
    hall, drawn through the services and its first matches called: (tournament, director, players)."""
    from django.utils import timezone

    from apps.accounts.models import Player, User
    from apps.halls.models import HallStaff, PoolTable
    from apps.tournaments import services

    hall = bench_hall(slug)
    User.objects.filter(username__startswith=f"{slug}-").delete()
    users = bench_users(f"{slug}-", players + 1)
    director = users[0]
    HallStaff.objects.create(hall=hall, user=director)
    Player.objects.bulk_create(Player(user=user, rating=1200 + 7 * n) for n, user in enumerate(users[1:]))
    held = [PoolTable.objects.create(hall=hall, number=number) for number in range(1, tables + 1)]
    now = timezone.now().replace(microsecond=0)
    tournament = services.tournament_create(
        hall=hall,
        staff_user=director,
        name=slug,
        table_ids=[table.pk for table in held],
        player_cap=players,
        registration_opens_at=now - timedelta(hours=2),
        registration_closes_at=now + timedelta(hours=1),
        check_in_opens_at=now - timedelta(hours=1),
        check_in_closes_at=now,
        starts_at=now,
        ends_at=now + timedelta(hours=8),
    )
    entrants = list(Player.objects.filter(user__username__startswith=f"{slug}-").select_related("user"))
    for player in entrants:
        services.tournament_register(tournament_id=tournament.pk, player=player)
        services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=director)
    services.tournament_start(tournament_id=tournament.pk, staff_user=director)
    return tournament, director, entrants


def _tournament() -> tuple[int, dict[int, str]]:
    """The draw made and its first matches called; (tournament id, socket tickets by user id)."""
    from apps.accounts.services import ws_ticket_issue

    tournament, _director, players = started_tournament("bench-calls", players=PLAYERS, tables=TABLES)
    return tournament.pk, {player.user_id: ws_ticket_issue(user=player.user) for player in players}


def _on_table(tournament_id: int) -> list[tuple[int, str, str, int]]:
    """(match id, player a's username, player b's username, race) of the matches being played, oldest first."""
    from apps.tournaments.models import Match

    rows = (
        Match.objects.filter(tournament_id=tournament_id, state=Match.State.ON_TABLE)
        .order_by("called_at", "id")
        .values_list("id", "player_a__player__user__username", "player_b__player__user__username", "race_a")
    )
    return list(rows)


def _finished(tournament_id: int) -> bool:
    from apps.tournaments.models import Tournament

    return Tournament.objects.filter(pk=tournament_id, state=Tournament.State.FINISHED).exists()


async def _measure(ws_base: str, web_base: str, tournament_id: int, tickets: dict[int, str]) -> list[float]:
    import requests
    import websockets
    from channels.db import database_sync_to_async

    from apps.accounts.models import User

    names = {user.pk: user.username for user in await database_sync_to_async(list)(User.objects.filter(pk__in=tickets))}
    tokens = {name: await database_sync_to_async(access_token)(name) for name in names.values()}
    arrivals: asyncio.Queue[tuple[float, str, dict]] = asyncio.Queue()
    sockets = []

    async def read(username: str, socket) -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("protocol") == "match_called":
                await arrivals.put((time.perf_counter(), username, frame))

    for ticket in tickets.values():
        socket = await websockets.connect(f"{ws_base}/ws/base/?uuid={ticket}", ping_interval=None, max_size=None)
        sockets.append(socket)
    readers = [asyncio.create_task(read(names[user_id], s)) for user_id, s in zip(tickets, sockets, strict=True)]
    await asyncio.sleep(1)
    while not arrivals.empty():
        arrivals.get_nowait()
    http = requests.Session()

    async def report(username: str, match_id: int, mine: int, theirs: int) -> float:
        started = time.perf_counter()
        answer = await asyncio.to_thread(
            http.post,
            f"{web_base}/api/tournaments/{tournament_id}/matches/{match_id}/report/",
            json={"my_score": mine, "opponent_score": theirs},
            headers={"Authorization": f"JWT {tokens[username]}"},
            timeout=20,
        )
        assert answer.status_code == 200, answer.text
        return started

    samples: list[float] = []
    try:
        while len(samples) < SAMPLES and not await database_sync_to_async(_finished)(tournament_id):
            playing = await database_sync_to_async(_on_table)(tournament_id)
            if not playing:
                await asyncio.sleep(0.2)
                continue
            match_id, first, second, race = playing[0]
            started = await report(first, match_id, race, 0)
            _REST.append((time.perf_counter() - started) * 1000)
            called: dict[int, list[float]] = {}
            deadline = time.perf_counter() + 1.5
            while time.perf_counter() < deadline:
                try:
                    at, _username, frame = await asyncio.wait_for(
                        arrivals.get(), timeout=deadline - time.perf_counter()
                    )
                except TimeoutError:
                    break
                called.setdefault(frame["match_id"], []).append(at)
                if len(called[frame["match_id"]]) == 2:
                    samples.append((max(called[frame["match_id"]]) - started) * 1000)
                    break
            await report(second, match_id, 0, race)  # agreeing: final, the bracket advances
            await asyncio.sleep(0.05)
            while not arrivals.empty():  # calls made by the advance are not samples of a table freeing
                arrivals.get_nowait()
        # Baseline: the last hop alone, a bare push to one of the same sockets.
        from apps.realtime.push import push_to_user

        user_id = next(iter(tickets))
        base = []
        for index in range(len(samples)):
            started = time.perf_counter()
            await asyncio.to_thread(push_to_user, user_id, {"protocol": "match_called", "match_id": -index})
            while True:
                at, _username, frame = await asyncio.wait_for(arrivals.get(), timeout=5)
                if frame["match_id"] == -index:
                    break
            base.append((at - started) * 1000)
    finally:
        for reader in readers:
            reader.cancel()
        for socket in sockets:
            await socket.close()
    _BASELINE.extend(base)
    return samples


_BASELINE: list[float] = []


def main() -> None:
    setup_django()
    started = time.perf_counter()
    tournament_id, tickets = _tournament()
    drawn_in = time.perf_counter() - started
    web_port, asgi_port = free_port(), free_port()
    daphne = daphne_command(asgi_port)
    with process("gunicorn-calls", gunicorn_command(web_port), web_port), process("daphne-calls", daphne, asgi_port):
        samples = asyncio.run(
            _measure(f"ws://127.0.0.1:{asgi_port}", f"http://127.0.0.1:{web_port}", tournament_id, tickets)
        )
    calls, base, rest = summary(samples), summary(_BASELINE), summary(_REST)
    rows = [
        (
            f"table frees -> both match_called {key}",
            f"{calls[key]:.1f} ms",
            f"{base[key]:.2f} ms",
            ratio(calls[key], base[key]),
        )
        for key in ("p50", "p99", "max")
    ]
    rows += [(f"  the report's REST answer {key}", f"{rest[key]:.1f} ms", "", "") for key in ("p50", "p99")]
    rows.append(("draw of 128 and first calls (services)", f"{drawn_in:.1f} s", "", ""))
    print_table(
        f"Tournament calls: {len(samples)} tables freed, {PLAYERS}-player double elimination on {TABLES} tables, "
        f"{PLAYERS} sockets",
        rows,
    )


if __name__ == "__main__":
    main()
