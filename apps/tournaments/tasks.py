"""Celery side of tournaments: the tick that catches up with anything the after-commit hooks missed."""

import logging

from celery import shared_task

from apps.tournaments import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def tournament_tick_task() -> dict[str, int]:
    report = services.tournament_tick()
    if any(report.values()):
        logger.info("tournament tick: %s", report)
    return report
