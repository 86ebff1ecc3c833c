"""On-time sessions: many reservations due to start within the same minute, then to finish.

Runs one Celery worker (prefork, one child per core) and one beat with the production schedule (the
sweep queues the exact-time tasks), and reports how late starts and finishes were carried out. The
baseline is a no-op Celery task queued with the same ETAs in the same run: the lateness Celery itself
adds, so the ratio shows what our start/finish work costs on top.
"""

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import QUICK, bench_hall, bench_users, print_table, process, ratio, setup_django, summary

COUNT = 200 if QUICK else 1000
# Quick mode shortens the minute and the sweep period (5 s instead of 30 s) to fit in the time budget.
SWEEP_SECONDS = 5 if QUICK else 30
LEAD_SECONDS = SWEEP_SECONDS + 15  # past one sweep period, so the sweep has queued the exact-time tasks
SPREAD_SECONDS = 20 if QUICK else 60
DURATION_SECONDS = 20 if QUICK else 60


def _prepare() -> tuple[list[int], float]:
    from django.utils import timezone

    from apps.accounts.models import Player, User
    from apps.halls.models import PoolTable
    from apps.reservations.models import Reservation

    User.objects.filter(username__startswith="bench-ontime-").delete()
    hall = bench_hall("bench-on-time")
    PoolTable.objects.bulk_create(PoolTable(hall=hall, number=n + 1) for n in range(COUNT))
    tables = list(PoolTable.objects.filter(hall=hall).order_by("number"))
    users = bench_users("bench-ontime-", 2 * COUNT)
    Player.objects.bulk_create(Player(user=user) for user in users)
    players = list(Player.objects.filter(user__in=users).order_by("pk"))
    first_start = timezone.now() + timedelta(seconds=LEAD_SECONDS)
    reservations = []
    for index, table in enumerate(tables):
        start = first_start + timedelta(seconds=SPREAD_SECONDS * index / COUNT)
        reservations.append(
            Reservation(
                table=table,
                player_reserving=players[2 * index],
                other_player=players[2 * index + 1],
                start_time=start,
                duration=1,
                end_time=start + timedelta(seconds=DURATION_SECONDS),
            )
        )
    Reservation.objects.bulk_create(reservations)
    ids = list(Reservation.objects.filter(table__hall=hall).values_list("pk", flat=True))
    return ids, first_start.timestamp()


def _queue_baseline(first_start: float) -> str:
    from datetime import UTC, datetime

    from apps.core.tasks import eta_probe

    key = f"bench:eta-probe:{time.time()}"
    for index in range(COUNT):
        eta = first_start + SPREAD_SECONDS * index / COUNT
        eta_probe.apply_async(args=[key, eta], eta=datetime.fromtimestamp(eta, tz=UTC))
    return key


def main() -> None:
    setup_django()
    from apps.core.redis import redis_client
    from apps.reservations.models import GameSession

    reservation_ids, first_start = _prepare()
    python = sys.executable
    worker = [python, "-m", "celery", "-A", "strikem", "worker", "-l", "info", "-n", "bench-worker@%h"]
    beat = [python, "-m", "celery", "-A", "strikem", "beat", "-l", "info", "--schedule", "var/bench-beat-schedule"]
    with (
        process("worker", worker, "ready."),
        process("beat", beat, "beat: Starting", SESSIONS_SWEEP_SECONDS=str(SWEEP_SECONDS)),
    ):
        baseline_key = _queue_baseline(first_start)
        deadline = first_start + SPREAD_SECONDS + DURATION_SECONDS + 90
        while time.time() < deadline:
            finished = GameSession.objects.filter(reservation_id__in=reservation_ids, ended_at__isnull=False).count()
            if finished == len(reservation_ids) and redis_client().llen(baseline_key) == COUNT:
                break
            time.sleep(1)
    sessions = list(GameSession.objects.filter(reservation_id__in=reservation_ids).select_related("reservation"))
    starts = [(s.start_processed_at - s.reservation.start_time).total_seconds() * 1000 for s in sessions]
    ends = [
        (s.end_processed_at - s.reservation.end_time).total_seconds() * 1000
        for s in sessions
        if s.end_processed_at is not None
    ]
    baseline = [float(v) * 1000 for v in redis_client().lrange(baseline_key, 0, -1)]
    start, end, base = summary(starts), summary(ends), summary(baseline)
    rows = [("sessions started / finished", f"{len(starts)} / {len(ends)} of {COUNT}", f"{len(baseline)} probes", "")]
    for label, figures in (("start lateness", start), ("finish lateness", end)):
        for stat in ("p50", "p99", "max"):
            rows.append(
                (f"{label} {stat}", f"{figures[stat]:.0f} ms", f"{base[stat]:.0f} ms", ratio(figures[stat], base[stat]))
            )
    print_table(f"On-time sessions: {COUNT} starts within {SPREAD_SECONDS} s, one worker + beat", rows)
    if len(starts) != COUNT or len(ends) != COUNT:
        raise SystemExit("not every session started and finished")


if __name__ == "__main__":
    main()
