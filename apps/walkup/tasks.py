"""Celery side of the queue: each offer lapses at its exact time, and a sweep backs that up.

An offer lives WALKUP_OFFER_MINUTES (5), well inside the broker's visibility timeout, so its lapse task is
queued with its ETA as the offer is made. The sweep (every WALKUP_SWEEP_SECONDS, from beat) lapses whatever
is overdue (a lost task, a restarted worker), offers free tables and pushes fresh estimates. Tasks take ids
and re-check the row: a stale one changes nothing.
"""

import logging

from celery import shared_task

from apps.walkup import services  # a module import: the services queue these tasks (README, "Cycles")
from apps.walkup.models import Offer

logger = logging.getLogger(__name__)


def schedule_offer_expiry(offer: Offer) -> None:
    offer_expire_task.apply_async(args=[offer.pk], eta=offer.expires_at)


@shared_task(acks_late=True, ignore_result=True)
def offer_expire_task(offer_id: int) -> None:
    services.offer_expire(offer_id=offer_id)


@shared_task(acks_late=True, ignore_result=True)
def queue_sweep_task() -> dict[str, int]:
    report = services.queue_sweep()
    if report["expired"] or report["closed"] or report["offered"]:
        logger.info("walk-up sweep: %s", report)
    return report
