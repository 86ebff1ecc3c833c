"""Tournament snapshot: the whole of a 128-player double elimination halfway through (255 matches, 128
entries, 16 tables, estimated starts), read and shaped as the socket's `tournament_snapshot`, the REST
detail and the bracket page have it, then encoded as JSON. Target: p99 <= 50 ms.

Baseline in the same run: reading the same rows (matches, entries with their players) as plain values, with
no shaping, no estimates and no encoding: the floor any snapshot of this draw pays.
"""

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import QUICK, bench_hall, bench_users, print_table, ratio, setup_django, summary

PLAYERS = 128
TABLES = 16
SAMPLES = 100 if QUICK else 500


def _tournament() -> int:
    """A 128-player double elimination, drawn and played halfway, built through the services."""
    from django.utils import timezone

    from apps.accounts.models import Player, User
    from apps.halls.models import HallStaff, PoolTable
    from apps.tournaments import services
    from apps.tournaments.models import Match, Tournament

    hall = bench_hall("bench-tournament")
    User.objects.filter(username__startswith="bench-tourn-").delete()
    users = bench_users("bench-tourn-", PLAYERS + 1)
    director = users[0]
    director.is_staff = True
    director.save(update_fields=["is_staff"])
    HallStaff.objects.create(hall=hall, user=director)
    Player.objects.bulk_create(Player(user=user, rating=1200 + 7 * n) for n, user in enumerate(users[1:]))
    tables = [PoolTable.objects.create(hall=hall, number=number) for number in range(1, TABLES + 1)]
    now = timezone.now().replace(microsecond=0)
    tournament = services.tournament_create(
        hall=hall,
        staff_user=director,
        name="Bench open",
        table_ids=[table.pk for table in tables],
        player_cap=PLAYERS,
        registration_opens_at=now - timedelta(hours=2),
        registration_closes_at=now + timedelta(hours=1),
        check_in_opens_at=now - timedelta(hours=1),
        check_in_closes_at=now,
        starts_at=now,
        ends_at=now + timedelta(hours=8),
    )
    for player in Player.objects.filter(user__username__startswith="bench-tourn-"):
        services.tournament_register(tournament_id=tournament.pk, player=player)
        services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=director)
    services.tournament_start(tournament_id=tournament.pk, staff_user=director)
    decided = 0
    while decided < (2 * PLAYERS - 1) // 2:
        match = Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE).order_by("id").first()
        if match is None:
            break
        services.match_result_by_staff(
            tournament_id=tournament.pk, match_id=match.pk, staff_user=director, score_a=5, score_b=2
        )
        decided += 1
    assert Tournament.objects.get(pk=tournament.pk).state == Tournament.State.RUNNING
    return tournament.pk


def _time(function, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    setup_django()
    from django.db import connection

    from apps.tournaments import selectors, shapes
    from apps.tournaments.models import Entry, Match

    started = time.perf_counter()
    tournament_id = _tournament()
    built_in = time.perf_counter() - started

    def snapshot() -> None:
        json.dumps(shapes.snapshot_data(selectors.snapshot_rows(tournament_id=tournament_id)))

    def rows_only() -> None:
        list(Match.objects.filter(tournament_id=tournament_id).values())
        list(Entry.objects.filter(tournament_id=tournament_id).values("id", "seed", "player__user__username"))

    snapshot()  # warm-up: connections, query compilation, imports
    rows_only()
    queries: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        snapshot()
    measured, baseline = summary(_time(snapshot, SAMPLES)), summary(_time(rows_only, SAMPLES))
    size = len(json.dumps(shapes.snapshot_data(selectors.snapshot_rows(tournament_id=tournament_id))))
    rows = [
        (f"snapshot {key}", f"{measured[key]:.1f} ms", f"{baseline[key]:.1f} ms", ratio(measured[key], baseline[key]))
        for key in ("p50", "p99", "max")
    ]
    rows += [
        ("SQL queries per snapshot", str(len(queries)), "2", ""),
        ("snapshot size (JSON)", f"{size / 1024:.0f} KB", "", ""),
        ("building the half-played draw (services)", f"{built_in:.1f} s", "", ""),
    ]
    print_table(
        f"Tournament snapshot: {PLAYERS}-player double elimination halfway, {TABLES} tables, {SAMPLES} snapshots",
        rows,
    )


if __name__ == "__main__":
    main()
