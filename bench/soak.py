"""Soak: minutes of steady mixed traffic against the whole stack, then memory and errors.

Gunicorn (as deployed), one Daphne, one Celery worker and one beat run on the bench database. For the
length of the soak, at a steady rate:
- players call the REST API as the web client does (tables, matchmaking list, notifications, unread
  counts, invitations, accepting, chat), 20 calls a second;
- 100 players keep sockets open (half in the lobby, half watching the hall's board) and read every frame;
- every 5 seconds a pair books a table over REST for a few seconds later; Celery starts the session on
  time, and the hall's staff end it over REST (in full mode half the games run their minute and Celery
  finishes them);
- a 16-player double elimination runs on two more tables of the hall: every few seconds both players of
  a match being played report its score over REST, which ends the game, calls the next match to the
  table and advances the bracket; a quarter of the sockets watch it, and players read it over REST;
- players join the walk-up queue and leave it (a free table is offered at once and passes on), and read
  the public wait list.

Reported: each process's memory (RSS, children included) at the start, after a warm-up, beside the end
(the ratio shows growth), and the error count, which must be 0: server errors or unexpected answers,
sockets dropped, invitation pushes that never arrived, sessions not started or finished exactly once.
"""

import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import requests
import websockets

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

SECONDS = 30 if QUICK else 600
WARM_UP_SECONDS = 5
REST_PER_SECOND = 20
CONNECTED = 100  # players 0..99 keep a socket open; players 100..199 send the invitations
PLAYERS = 2 * CONNECTED
TABLES = 20
TOURNAMENT_PLAYERS = 16
TOURNAMENT_TABLES = 2
REPORT_EVERY_SECONDS = 3
BOOKING_EVERY_SECONDS = 5
BOOKING_LEAD_SECONDS = 8
STAFF_ENDS_AFTER_SECONDS = 10
SWEEP_SECONDS = 5


def _tournament(hall: Any, staff: Any, players: list[Any]) -> tuple[int, dict[int, str]]:
    """A double elimination of `players` started on two more tables (held through the booking service):
    its id, and each player's id to their access token."""
    from django.utils import timezone

    from apps.halls.models import PoolTable
    from apps.tournaments import services as tournaments

    numbers = range(TABLES + 1, TABLES + 1 + TOURNAMENT_TABLES)
    PoolTable.objects.bulk_create(PoolTable(hall=hall, number=n, top=50, left=50) for n in numbers)
    now = timezone.now().replace(microsecond=0)
    tournament = tournaments.tournament_create(
        hall=hall,
        staff_user=staff,
        name="Soak night",
        table_ids=list(PoolTable.objects.filter(hall=hall, number__in=numbers).values_list("pk", flat=True)),
        registration_opens_at=now - timedelta(hours=1),
        registration_closes_at=now + timedelta(minutes=30),
        check_in_opens_at=now - timedelta(minutes=30),
        check_in_closes_at=now,
        starts_at=now,
        ends_at=now + timedelta(hours=4),
        race_to=3,
    )
    for player in players:
        tournaments.tournament_register(tournament_id=tournament.pk, player=player)
        tournaments.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff)
    tournaments.tournament_start(tournament_id=tournament.pk, staff_user=staff)
    return tournament.pk, {player.pk: access_token(player.user.username) for player in players}


def _prepare() -> tuple[int, list[int], list[int], list[str], list[str], str, int, dict[int, str]]:
    """The hall (open all day, one-minute bookings), its staff member, players, tokens and tickets, and a
    running tournament with its players' tokens."""
    from apps.accounts.models import Player, User
    from apps.accounts.services import ws_ticket_issue
    from apps.halls.models import HallStaff, PoolTable

    User.objects.filter(username__startswith="bench-soak-").delete()
    hall = bench_hall(
        "bench-soak",
        latitude=52.52,
        longitude=13.40,
        cleaning_buffer_minutes=0,
        booking_step_minutes=1,
        min_booking_minutes=1,
    )
    PoolTable.objects.bulk_create(PoolTable(hall=hall, number=n + 1, top=10, left=10) for n in range(TABLES))
    tables = list(PoolTable.objects.filter(hall=hall).order_by("number").values_list("pk", flat=True))
    users = bench_users("bench-soak-", PLAYERS)
    (staff,) = bench_users("bench-soak-staff-", 1)
    HallStaff.objects.create(hall=hall, user=staff)
    Player.objects.bulk_create(
        Player(user=user, rating=1500 + n % 50, latitude=52.52, longitude=13.40) for n, user in enumerate(users)
    )
    ids = dict(Player.objects.filter(user__username__startswith="bench-soak-").values_list("user__username", "pk"))
    player_ids = [ids[f"bench-soak-{n}"] for n in range(PLAYERS)]
    tokens = [access_token(f"bench-soak-{n}") for n in range(PLAYERS)]
    tickets = [ws_ticket_issue(user=users[n]) for n in range(CONNECTED)]
    entrants = bench_users("bench-soak-t-", TOURNAMENT_PLAYERS)
    Player.objects.bulk_create(Player(user=user, rating=1400 + 10 * n) for n, user in enumerate(entrants))
    tournament_id, entrant_tokens = _tournament(
        hall, staff, list(Player.objects.filter(user__in=entrants).select_related("user"))
    )
    return hall.pk, tables, player_ids, tokens, tickets, access_token(staff.username), tournament_id, entrant_tokens


def _rss_mb(root: psutil.Process) -> float:
    processes = [root, *root.children(recursive=True)]
    total = 0
    for each in processes:
        try:
            total += each.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


class Soak:
    def __init__(
        self,
        web: str,
        ws: str,
        hall_id: int,
        tables: list[int],
        player_ids: list[int],
        tokens: list[str],
        staff_token: str,
        tournament_id: int,
        entrant_tokens: dict[int, str],
    ):
        self.web, self.ws, self.hall_id, self.tables = web, ws, hall_id, tables
        self.player_ids, self.tokens, self.staff_token = player_ids, tokens, staff_token
        self.tournament_id, self.entrant_tokens = tournament_id, entrant_tokens
        self.reports = 0  # tournament matches reported by both players
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.frames: Counter[str] = Counter()
        self.invited_sent: Counter[str] = Counter()  # invitee username -> invitations sent to them
        self.invited_seen: Counter[str] = Counter()
        self.pending: list[tuple[int, int]] = []  # (invitee index, invitation id) waiting to be accepted
        self.matchups: list[tuple[int, str, float]] = []  # (inviter index, matchup id, last used) to chat in
        self.booked: list[int] = []  # reservation ids
        self.pairs = (
            (k % CONNECTED + CONNECTED, (k % CONNECTED + k // CONNECTED) % CONNECTED) for k in itertools.count()
        )
        self.booking_players = itertools.cycle(range(0, PLAYERS, 2))
        self.booking_tables = itertools.cycle(tables)
        # Full mode: games on every other table run their minute and Celery finishes them; staff end the rest.
        self.natural_tables = set() if QUICK else set(tables[1::2])
        self.stop = False
        self.memory: list[dict[str, float]] = []  # RSS per process, from the warm-up to the end

    def _call(self, name: str, method: str, path: str, token: str | None, expect: int, **kwargs):
        headers = {"Authorization": f"JWT {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.web + path, headers=headers, timeout=30, **kwargs)
        except requests.RequestException as exc:  # a refused or reset connection is an error of the soak
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.calls[name] += 1
        if response.status_code != expect:
            code = response.json().get("error", "") if "json" in response.headers.get("Content-Type", "") else ""
            self.errors[f"{name}: HTTP {response.status_code} {code}"] += 1
            return None
        return response.json() if response.content else {}

    # One REST call a tick, in a fixed rotation of what players do.
    def _tables(self, n: int) -> None:
        self._call("tables", "GET", f"/api/poolhouses/{self.hall_id}/tables/", self.tokens[n % PLAYERS], 200)

    def _matchmaking(self, n: int) -> None:
        self._call("matchmaking list", "GET", "/api/filter-ratings/?limit=20", self.tokens[n % PLAYERS], 200)

    def _notifications(self, n: int) -> None:
        self._call("notifications", "GET", "/api/notifications/", self.tokens[n % CONNECTED], 200)
        self._call("unread", "GET", "/api/unread-notifications/", self.tokens[n % CONNECTED], 200)

    def _invite(self, n: int) -> None:
        inviter, invitee = next(self.pairs)
        body = self._call(
            "invite", "POST", "/api/invitations/", self.tokens[inviter], 201, json={"username": f"bench-soak-{invitee}"}
        )
        if body is not None:
            self.invited_sent[f"bench-soak-{invitee}"] += 1
            self.pending.append((invitee, body["id"]))

    def _accept(self, n: int) -> None:
        if not self.pending:
            return
        invitee, invitation_id = self.pending.pop(0)
        body = self._call("accept", "POST", f"/api/invitations/{invitation_id}/accept/", self.tokens[invitee], 201)
        if body is not None:
            inviter = int(body["player_inviting"]["user"]["username"].rsplit("-", 1)[1])
            self.matchups.append((inviter, body["id"], 0.0))

    def _chat(self, n: int) -> None:
        # The least recently used conversation, so no one writes faster than a person (and the throttle) would.
        if not self.matchups or time.monotonic() - self.matchups[0][2] < 2:
            return
        inviter, matchup_id, _ = self.matchups.pop(0)
        self.matchups.append((inviter, matchup_id, time.monotonic()))
        token = self.tokens[inviter]
        self._call("chat send", "POST", f"/api/matchups/{matchup_id}/chat/", token, 201, json={"message": "gg"})
        self._call("chat read", "GET", f"/api/matchups/{matchup_id}/chat/", token, 200)

    def _tournament_read(self, n: int) -> None:
        token = self.tokens[n % PLAYERS]
        self._call("tournaments", "GET", f"/api/tournaments/?hall={self.hall_id}", token, 200)
        self._call("tournament", "GET", f"/api/tournaments/{self.tournament_id}/", token, 200)

    def _walkup(self, n: int) -> None:
        """A party joins the queue (a free table is offered to it at once), reads its place, and leaves."""
        token = self.tokens[CONNECTED + n % CONNECTED]
        path = f"/api/poolhouses/{self.hall_id}/queue/"
        entry = self._call("queue join", "POST", path, token, 201, json={"party_size": 2})
        self._call("wait list", "GET", path, None, 200)
        if entry is not None:
            self._call("queue entry", "GET", f"/api/queue/{entry['id']}/", token, 200)
            self._call("queue leave", "DELETE", f"/api/queue/{entry['id']}/", token, 204)

    def _report(self) -> None:
        """Both players of the first match being played report it (the first report ends the game, frees
        the table and calls the next match; the second makes the result final and advances the bracket)."""
        path = f"/api/tournaments/{self.tournament_id}/"
        staff = self.staff_token
        tournament = self._call("tournament", "GET", path, staff, 200)
        playing = [m for m in (tournament or {}).get("matches", []) if m["state"] == "on_table"]
        if not playing:
            return
        match = playing[0]
        first, second = match["a"]["player_id"], match["b"]["player_id"]
        report = f"{path}matches/{match['id']}/report/"
        race = match["race_a"]
        for player, mine, theirs in ((first, race, 0), (second, 0, race)):
            body = {"my_score": mine, "opponent_score": theirs}
            if self._call("match report", "POST", report, self.entrant_tokens[player], 200, json=body) is None:
                return
        self.reports += 1

    def _book(self) -> None:
        table = next(self.booking_tables)
        if table in self.natural_tables and time.monotonic() + BOOKING_LEAD_SECONDS + 75 > self.ends_at:
            table = next(self.booking_tables)  # too late for a whole minute: staff end this one too
        first = next(self.booking_players)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=BOOKING_LEAD_SECONDS)
        body = self._call(
            "book",
            "POST",
            f"/api/poolhouses/{self.hall_id}/tables/{table}/reserve/",
            self.tokens[first],
            201,
            json={"start_time": start.isoformat(), "duration": 1, "other_player": self.player_ids[first + 1]},
        )
        if body is not None:
            self.booked.append(body["id"])

    def _staff_round(self) -> None:
        path = f"/api/poolhouses/{self.hall_id}/game-sessions/"
        for session in self._call("staff sessions", "GET", path, self.staff_token, 200) or []:
            if session["status_finished"] or session["pooltable"] in self.natural_tables:
                continue
            if session["pooltable"] not in self.tables:
                continue  # a tournament's game: its players end it by reporting
            if datetime.now(UTC) - datetime.fromisoformat(session["start_time"]) >= timedelta(
                seconds=STAFF_ENDS_AFTER_SECONDS
            ):
                self._call("staff end", "DELETE", f"{path}{session['id']}/", self.staff_token, 200)

    async def _socket(self, index: int, ticket: str) -> None:
        username = f"bench-soak-{index}"
        action = {"action": "matchmake", "protocol": "initial"}
        if index % 4 == 3:
            action = {"action": "tournament", "protocol": "watch", "tournament_id": self.tournament_id}
        elif index % 2:
            action = {"action": "poolhouse", "protocol": "initial", "poolhouseName": "bench-soak"}
        try:
            async with websockets.connect(f"{self.ws}/ws/base/?uuid={ticket}") as socket:
                await socket.send(json.dumps(action))
                while not self.stop:
                    try:
                        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=1))
                    except TimeoutError:
                        continue
                    kind = frame.get("protocol") or frame.get("type", "?")
                    self.frames[kind] += 1
                    if kind == "invited":
                        self.invited_seen[username] += 1
                    if frame.get("type") == "error":
                        self.errors[f"socket error frame {frame.get('error')}"] += 1
        except (OSError, websockets.WebSocketException) as exc:
            self.errors[f"socket closed: {type(exc).__name__} {exc}"[:120]] += 1

    async def run(self, tickets: list[str], measure: Callable[[], dict[str, float]]) -> float:
        """Drive the traffic; `measure` (memory per process) runs after the warm-up and at every tenth."""
        self.ends_at = time.monotonic() + WARM_UP_SECONDS + SECONDS
        sockets = [asyncio.create_task(self._socket(n, ticket)) for n, ticket in enumerate(tickets)]
        await asyncio.sleep(WARM_UP_SECONDS)
        self.memory.append(measure())
        next_sample = time.monotonic() + SECONDS / 10
        rotation = [
            self._tables,
            self._matchmaking,
            self._invite,
            self._tables,
            self._notifications,
            self._accept,
            self._chat,
            self._tournament_read,
            self._walkup,
        ]
        tick, started, running = 0, time.monotonic(), set()
        next_booking = next_staff = next_report = started
        while time.monotonic() < self.ends_at:
            now = time.monotonic()
            work = [asyncio.to_thread(rotation[tick % len(rotation)], tick)]
            if now >= next_booking:
                next_booking += BOOKING_EVERY_SECONDS
                work.append(asyncio.to_thread(self._book))
            if now >= next_staff:
                next_staff += 2
                work.append(asyncio.to_thread(self._staff_round))
            if now >= next_report:
                next_report += REPORT_EVERY_SECONDS
                work.append(asyncio.to_thread(self._report))
            if now >= next_sample:
                next_sample += SECONDS / 10
                self.memory.append(measure())
            for job in work:
                running.add(task := asyncio.ensure_future(job))
                task.add_done_callback(running.discard)
            tick += 1
            await asyncio.sleep(max(0.0, started + tick / REST_PER_SECOND - time.monotonic()))
        elapsed = time.monotonic() - started
        self.memory.append(measure())
        await asyncio.gather(*running)
        await asyncio.sleep(2)  # the last pushes land
        self.stop = True
        await asyncio.gather(*sockets)
        return elapsed


def _settle(soak: Soak) -> None:
    """End what staff still have open, wait for Celery to finish the rest, then count every session."""
    from apps.reservations.models import GameSession, Reservation

    deadline = time.time() + 120
    while time.time() < deadline:
        soak._staff_round()
        due = Reservation.objects.filter(pk__in=soak.booked).count()
        ended = GameSession.objects.filter(reservation_id__in=soak.booked, end_processed_at__isnull=False).count()
        if ended == due:
            break
        time.sleep(2)
    sessions = Counter(
        GameSession.objects.filter(reservation_id__in=soak.booked).values_list("reservation_id", flat=True)
    )
    ended = GameSession.objects.filter(reservation_id__in=soak.booked, end_processed_at__isnull=False).count()
    missing = len(soak.booked) - len(sessions)
    if missing:
        soak.errors["booked games that never started"] += missing
    if any(count > 1 for count in sessions.values()):
        soak.errors["games started twice"] += 1
    if ended != len(sessions):
        soak.errors["games that never finished"] += len(sessions) - ended
    lost = sum(max(0, sent - soak.invited_seen[name]) for name, sent in soak.invited_sent.items())
    if lost:
        soak.errors["invitation pushes never received"] += lost


def main() -> None:
    setup_django()
    hall_id, tables, player_ids, tokens, tickets, staff_token, tournament_id, entrant_tokens = _prepare()
    web_port, asgi_port = free_port(), free_port()
    python = sys.executable
    daphne = [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(asgi_port), "strikem.asgi:application"]
    worker = [python, "-m", "celery", "-A", "strikem", "worker", "-l", "info", "-n", "bench-soak@%h"]
    beat = [python, "-m", "celery", "-A", "strikem", "beat", "-l", "info", "--schedule", "var/bench-soak-beat"]
    sweep = {"SESSIONS_SWEEP_SECONDS": str(SWEEP_SECONDS)}
    with (
        process("gunicorn-soak", gunicorn_command(web_port), web_port) as gunicorn_process,
        process("daphne-soak", daphne, asgi_port) as daphne_process,
        process("worker-soak", worker, "ready.") as worker_process,
        process("beat-soak", beat, "beat: Starting", **sweep) as beat_process,
    ):
        roles = {
            "gunicorn (master + workers)": psutil.Process(gunicorn_process.pid),
            "daphne": psutil.Process(daphne_process.pid),
            "celery worker (+ children)": psutil.Process(worker_process.pid),
            "celery beat": psutil.Process(beat_process.pid),
        }
        soak = Soak(
            f"http://127.0.0.1:{web_port}",
            f"ws://127.0.0.1:{asgi_port}",
            hall_id,
            tables,
            player_ids,
            tokens,
            staff_token,
            tournament_id,
            entrant_tokens,
        )
        elapsed = asyncio.run(soak.run(tickets, lambda: {role: _rss_mb(each) for role, each in roles.items()}))
        _settle(soak)
    at_start, halfway, at_end = soak.memory[0], soak.memory[len(soak.memory) // 2], soak.memory[-1]
    latency = summary(soak.latencies)
    rows = [
        (label.format(role), f"{at_end[role]:.0f} MB", f"{base[role]:.0f} MB", ratio(at_end[role], base[role]))
        for label, base in (("RSS {}, end vs start", at_start), ("  second half only: {}", halfway))
        for role in roles
    ]
    rows += [
        ("REST calls / rate", f"{sum(soak.calls.values())} / {sum(soak.calls.values()) / elapsed:.1f} per s", "", ""),
        ("REST latency p50 / p99", f"{latency['p50']:.1f} / {latency['p99']:.1f} ms", "", ""),
        ("socket frames received", f"{sum(soak.frames.values())} ({soak.frames['invited']} invited)", "", ""),
        (
            "games booked / started+ended",
            f"{len(soak.booked)} / {len(soak.booked) - soak.errors['booked games that never started']}",
            "",
            "",
        ),
        ("tournament matches reported by both players", str(soak.reports), "", ""),
        ("walk-up parties joined and left", str(soak.calls["queue leave"]), "", ""),
        ("errors (must be 0)", str(sum(soak.errors.values())), "", ""),
    ]
    print_table(
        f"Soak: {SECONDS} s of mixed traffic, {CONNECTED} open sockets, a game every {BOOKING_EVERY_SECONDS} s",
        rows,
    )
    series = {role: " ".join(f"{sample[role]:.0f}" for sample in soak.memory) for role in roles}
    for role, values in series.items():
        print(f"  RSS MB over time, {role}: {values}")
    for error, count in soak.errors.most_common(10):
        print(f"  error x{count}: {error}")
    if soak.errors:
        raise SystemExit("the soak saw errors")


if __name__ == "__main__":
    main()
