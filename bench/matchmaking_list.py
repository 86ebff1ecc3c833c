"""Matchmaking list at 10,000 players looking for a game around a city: p50/p99 of the list request for a
player in the middle (rating window and distance filters on), beside the bare view in the same run,
and the query plan (which indexes MariaDB uses)."""

import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PROFILE,
    QUICK,
    access_token,
    bench_users,
    free_port,
    gunicorn_command,
    print_table,
    process,
    profiled,
    ratio,
    setup_django,
    wrk,
)

PLAYERS = 10_000
SECONDS = 6 if QUICK else 30
CONNECTIONS = 32
CENTRE = (41.7151, 44.8271)


def _players() -> None:
    from django.utils import timezone

    from apps.accounts.models import Player, User

    if User.objects.filter(username__startswith="bench-mm-").count() == PLAYERS + 1:
        # Same waiting time every run (it widens the rating window), so runs compare.
        Player.objects.filter(user__username__startswith="bench-mm-").update(
            looking_since=timezone.now() - timedelta(minutes=5)
        )
        return
    User.objects.filter(username__startswith="bench-mm-").delete()
    rng = random.Random(7)
    now = timezone.now()
    players = []
    for user in bench_users("bench-mm-", PLAYERS + 1):
        me = user.username == "bench-mm-0"
        players.append(
            Player(
                user=user,
                rating=1500 if me else rng.gauss(1500, 250),
                latitude=CENTRE[0] if me else CENTRE[0] + rng.uniform(-0.15, 0.15),
                longitude=CENTRE[1] if me else CENTRE[1] + rng.uniform(-0.2, 0.2),
                inviting_to_play=True,
                looking_since=now - timedelta(minutes=5),
            )
        )
    Player.objects.bulk_create(players, batch_size=2000)


def _plan() -> str:
    from django.db import connection

    from apps.accounts.models import Player
    from apps.matchmaking.selectors import rating_window

    me = Player.objects.get(user__username="bench-mm-0")
    window = rating_window(me)
    query = Player.objects.filter(
        inviting_to_play=True,
        rating__gte=me.rating - window,
        rating__lte=me.rating + window,
        latitude__range=(CENTRE[0] - 0.23, CENTRE[0] + 0.23),
        longitude__range=(CENTRE[1] - 0.3, CENTRE[1] + 0.3),
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return "; ".join(f"{r['table']}: type={r['type']} key={r['key']} rows={r['rows']}" for r in rows)


def main() -> None:
    setup_django()
    _players()
    token = access_token("bench-mm-0")
    plan = _plan()
    port = free_port()
    command = gunicorn_command(port)
    with process("gunicorn-matchmaking", command, port) as server:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"JWT {token}"}
        url = f"{base}/api/filter-ratings/?filter=rating&filter_location=true&limit=50"
        wrk(url, seconds=2, connections=CONNECTIONS, headers=headers)
        bare = wrk(f"{base}/health/live/", seconds=SECONDS, connections=CONNECTIONS, headers=headers)
        listing = wrk(url, seconds=SECONDS, connections=CONNECTIONS, headers=headers)
        # One player at a time: the latency itself, without the queue of many connections on 2 cores.
        bare_alone = wrk(f"{base}/health/live/", seconds=SECONDS // 2, connections=1, threads=1, headers=headers)
        alone = wrk(url, seconds=SECONDS // 2, connections=1, threads=1, headers=headers)
        if PROFILE:
            with profiled("the matchmaking list", server.pid, 10):
                wrk(url, seconds=10, connections=CONNECTIONS, headers=headers)
    rows = [
        (
            "p50 latency, 1 connection",
            f"{alone['p50']:.1f} ms",
            f"{bare_alone['p50']:.1f} ms",
            ratio(alone["p50"], bare_alone["p50"]),
        ),
        (
            "p99 latency, 1 connection",
            f"{alone['p99']:.1f} ms",
            f"{bare_alone['p99']:.1f} ms",
            ratio(alone["p99"], bare_alone["p99"]),
        ),
        ("p50 latency", f"{listing['p50']:.1f} ms", f"{bare['p50']:.1f} ms", ratio(listing["p50"], bare["p50"])),
        ("p99 latency", f"{listing['p99']:.1f} ms", f"{bare['p99']:.1f} ms", ratio(listing["p99"], bare["p99"])),
        ("req/s", f"{listing['rps']:.0f}", f"{bare['rps']:.0f}", ratio(listing["rps"], bare["rps"])),
        ("errors", f"{listing['errors']:.0f}", f"{bare['errors']:.0f}", ""),
    ]
    print_table(f"Matchmaking list: {PLAYERS} players looking, {CONNECTIONS} connections", rows)
    print(f"  query plan: {plan}")


if __name__ == "__main__":
    main()
