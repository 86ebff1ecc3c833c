"""REST hot path: an authenticated list of a hall's tables with their live state, through Gunicorn.

Baseline in the same run and server: `/health/live`, a bare Django view returning constant JSON
through the same middleware. Also prints the SQL queries per request for 3 and 30 tables (constant).
"""

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PROFILE,
    QUICK,
    access_token,
    bench_hall,
    free_port,
    gunicorn_command,
    print_table,
    process,
    profiled,
    ratio,
    setup_django,
    wrk,
)

TABLES = 20
SECONDS = 8 if QUICK else 30
CONNECTIONS = 32


def _hall(slug: str, tables: int):
    from django.utils import timezone

    from apps.accounts.models import Player, User
    from apps.halls.models import PoolTable
    from apps.reservations.models import GameSession, Reservation

    hall = bench_hall(slug)
    PoolTable.objects.bulk_create(PoolTable(hall=hall, number=n + 1, top=10, left=10) for n in range(tables))
    now = timezone.now()
    for index, table in enumerate(PoolTable.objects.filter(hall=hall)):
        if index % 2:
            continue
        users = [
            User.objects.get_or_create(
                username=f"bench-rest-{slug}-{index}-{side}", defaults={"email": f"{slug}-{index}-{side}@bench.local"}
            )[0]
            for side in (0, 1)
        ]
        players = [Player.objects.get_or_create(user=user)[0] for user in users]
        reservation = Reservation.objects.create(
            table=table,
            player_reserving=players[0],
            other_player=players[1],
            start_time=now - timedelta(minutes=5),
            duration=240,
            end_time=now + timedelta(hours=4),
        )
        GameSession.objects.create(reservation=reservation, table=table, started_at=reservation.start_time)
    return hall


def _queries_per_request(hall_ids: list[int]) -> list[int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = []
    client = Client(HTTP_HOST="127.0.0.1")
    for hall_id in hall_ids:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/poolhouses/{hall_id}/tables/").status_code == 200
        counts.append(len(queries))
    return counts


def main() -> None:
    setup_django()
    from apps.accounts.models import User

    hall = _hall("bench-rest", TABLES)
    small, large = _hall("bench-rest-3", 3), _hall("bench-rest-30", 30)
    User.objects.get_or_create(username="bench-rest-viewer", defaults={"email": "viewer@bench.local"})
    token = access_token("bench-rest-viewer")
    queries = _queries_per_request([small.pk, large.pk])
    port = free_port()
    command = gunicorn_command(port)
    with process("gunicorn-rest", command, port) as server:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"JWT {token}"}
        wrk(f"{base}/health/live/", seconds=2, connections=CONNECTIONS)  # warm up both
        wrk(f"{base}/api/poolhouses/{hall.pk}/tables/", seconds=2, connections=CONNECTIONS, headers=headers)
        bare = wrk(f"{base}/health/live/", seconds=SECONDS, connections=CONNECTIONS, headers=headers)
        tables = wrk(
            f"{base}/api/poolhouses/{hall.pk}/tables/", seconds=SECONDS, connections=CONNECTIONS, headers=headers
        )
        if PROFILE:
            with profiled("the tables list", server.pid, 10):
                wrk(f"{base}/api/poolhouses/{hall.pk}/tables/", seconds=10, connections=CONNECTIONS, headers=headers)
    rows = [
        ("req/s", f"{tables['rps']:.0f}", f"{bare['rps']:.0f}", ratio(tables["rps"], bare["rps"])),
        ("p50 latency", f"{tables['p50']:.1f} ms", f"{bare['p50']:.1f} ms", ratio(tables["p50"], bare["p50"])),
        ("p99 latency", f"{tables['p99']:.1f} ms", f"{bare['p99']:.1f} ms", ratio(tables["p99"], bare["p99"])),
        ("errors", f"{tables['errors']:.0f}", f"{bare['errors']:.0f}", ""),
        ("SQL queries per request (3 / 30 tables)", f"{queries[0]} / {queries[1]}", "", ""),
    ]
    print_table(
        f"REST hot path: tables of a {TABLES}-table hall (half busy), {CONNECTIONS} connections, "
        f"gunicorn {2 * (__import__('os').cpu_count() or 1) + 1} workers",
        rows,
    )


if __name__ == "__main__":
    main()
