"""An offer nobody answers lapses at its exact time in a real Celery worker, and the table passes on."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notifications.models import Notification
from apps.walkup import tasks
from apps.walkup.models import Offer, QueueEntry
from tests.factories import TableFactory
from tests.processes import celery_worker
from tests.walkup.helpers import join, pending_offer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_lapses_an_unanswered_offer_on_time_and_offers_the_table_to_the_next_party(hall):
    table = TableFactory(hall=hall)
    silent, waiting = join(hall), join(hall)
    offer = pending_offer(silent)
    with celery_worker(name="worker-walkup"):
        # The offer made above waits its full five minutes; this one is cut to three seconds, and its lapse
        # task is queued as the service queues it after commit.
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + timedelta(seconds=3))
        offer.refresh_from_db()
        tasks.schedule_offer_expiry(offer)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pending_offer(waiting) is None:
            time.sleep(0.2)
    offer.refresh_from_db()
    silent.refresh_from_db()
    assert (offer.status, silent.status) == (Offer.Status.EXPIRED, QueueEntry.Status.NO_SHOW)
    # Never early (how late is a matter for bench/, not asserted here).
    assert offer.answered_at >= offer.expires_at - timedelta(seconds=1)
    passed = pending_offer(waiting)
    assert passed is not None and passed.table == table
    assert Notification.objects.filter(recipient=waiting.player, type="TRD", extra=str(passed.pk)).exists()
