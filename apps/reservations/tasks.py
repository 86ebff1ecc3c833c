"""Celery side of game sessions: exact-time start/finish tasks and the sweep that backs them up.

Why a sweep plus short-horizon ETAs: on the Redis broker a task whose ETA lies beyond the visibility
timeout is delivered again, and bookings are often days ahead. So nothing is queued far ahead: the
sweep (every SESSIONS_SWEEP_SECONDS, from beat) queues exact-time tasks only for starts and ends due
within SESSIONS_SCHEDULE_HORIZON_SECONDS, and itself starts or finishes anything overdue, so a lost
task, a worker restart or a deploy never leaves a table busy. A booking made inside the horizon is
queued at once after commit. Tasks take ids only and re-check the row, so a stale task is harmless.
The same sweep queues the players' "your game starts soon" reminders for their exact time (the reminder
itself is written once, in apps/notifications).
"""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.core.redis import redis_client
from apps.notifications.selectors import reminders_due
from apps.notifications.tasks import game_reminder_task
from apps.reservations import services  # a module import: the services queue these tasks (README, "Cycles")
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import HOLDS

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


def _queue_once(kind: str, object_id: int, eta: datetime) -> bool:
    """Queue one exact-time task per (kind, row, time); later sweeps see the mark and skip it."""
    horizon = settings.SESSIONS_SCHEDULE_HORIZON_SECONDS
    try:
        first = redis_client().set(f"sched:{kind}:{object_id}:{int(eta.timestamp())}", 1, nx=True, ex=horizon * 4)
    except Exception:
        logger.warning("could not mark %s %s as scheduled", kind, object_id, exc_info=True)
        return False
    if not first:
        return False
    task = {"start": session_start_task, "finish": session_finish_task, "remind": game_reminder_task}[kind]
    task.apply_async(args=[object_id], eta=eta)
    return True


def schedule_if_due(reservation: Reservation) -> None:
    """After a booking commits: queue its start now if it falls inside the horizon."""
    horizon = timedelta(seconds=settings.SESSIONS_SCHEDULE_HORIZON_SECONDS)
    if reservation.start_time <= timezone.now() + horizon:
        _queue_once("start", reservation.pk, reservation.start_time)


def schedule_finish_if_due(session: GameSession) -> None:
    """After a game starts, or its booking is extended: queue its finish at the booked end if that falls
    inside the horizon (a finish queued for an earlier end finds it not due and does nothing)."""
    horizon = timedelta(seconds=settings.SESSIONS_SCHEDULE_HORIZON_SECONDS)
    end = session.reservation.end_time
    if end <= timezone.now() + horizon:
        _queue_once("finish", session.pk, end)


@shared_task(acks_late=True, ignore_result=True)
def session_start_task(reservation_id: int) -> None:
    session = services.session_start(reservation_id=reservation_id)
    if session is not None:
        schedule_finish_if_due(session)


@shared_task(acks_late=True, ignore_result=True)
def session_finish_task(session_id: int) -> None:
    services.session_finish(session_id=session_id)


def sessions_sweep() -> dict[str, int]:
    """Start and finish what is overdue; queue exact-time tasks for what falls due within the horizon,
    reminders included (one overdue but before its game is queued to run at once)."""
    now = timezone.now()
    horizon = now + timedelta(seconds=settings.SESSIONS_SCHEDULE_HORIZON_SECONDS)
    report = {"started": 0, "finished": 0, "queued": 0}
    booked = Reservation.objects.filter(status=Reservation.Status.BOOKED, game_session__isnull=True).exclude(HOLDS)
    for reservation_id in booked.filter(start_time__lte=now).values_list("pk", flat=True)[:SWEEP_BATCH]:
        report["started"] += services.session_start(reservation_id=reservation_id) is not None
    running = GameSession.objects.filter(ended_at__isnull=True)
    for session_id in running.filter(reservation__end_time__lte=now).values_list("pk", flat=True)[:SWEEP_BATCH]:
        report["finished"] += services.session_finish(session_id=session_id) is not None
    for reservation_id, start in booked.filter(start_time__gt=now, start_time__lte=horizon).values_list(
        "pk", "start_time"
    )[:SWEEP_BATCH]:
        report["queued"] += _queue_once("start", reservation_id, start)
    for session_id, end in running.filter(
        reservation__end_time__gt=now, reservation__end_time__lte=horizon
    ).values_list("pk", "reservation__end_time")[:SWEEP_BATCH]:
        report["queued"] += _queue_once("finish", session_id, end)
    for reservation_id, remind_at in reminders_due(now=now, until=horizon):
        report["queued"] += _queue_once("remind", reservation_id, remind_at)
    return report


@shared_task(acks_late=True, ignore_result=True)
def sessions_sweep_task() -> dict[str, int]:
    report = sessions_sweep()
    if any(report.values()):
        logger.info("sessions sweep: %s", report)
    return report
