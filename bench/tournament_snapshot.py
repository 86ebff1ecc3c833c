"""Tournament snapshot: the whole of a 128-player double elimination halfway through (255 matches, 128
entries, 16 tables, estimated starts), read and shaped as the socket's `tournament_snapshot`, the REST
detail and the bracket page have it, then encoded as JSON. Target: p99 <= 50 ms.

Baseline in the same run: reading the same rows (matches, entries with their players) as plain values, with
no shaping, no estimates and no encoding: the floor any snapshot of this draw pays.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import QUICK, print_table, ratio, setup_django, summary
from bench.tournament_calls import started_tournament

PLAYERS = 128
TABLES = 16
SAMPLES = 100 if QUICK else 500


def _tournament() -> int:
    """A 128-player double elimination, drawn and played halfway through the services."""
    from apps.tournaments import services
    from apps.tournaments.models import Match, Tournament

    tournament, director, _players = started_tournament("bench-snapshot", players=PLAYERS, tables=TABLES)
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
