"""Domain events out of Django through a transactional outbox.

`event_publish` writes the event in the caller's transaction and, after commit, nudges the publisher.
`outbox_publish_pending` sends pending rows: to the SNS topic (with the `eventType` attribute the SQS
filter policies use) when `SNS_TOPIC_ARN` is set, otherwise to the same cleanup code locally through
Celery, honouring the denial cooldown as the SQS delivery delay does. Events no Lambda takes (IN_APP_TASKS:
mobile pushes, deleting mobile endpoints) go to their Celery task either way. A failed send leaves the row
pending with exponential backoff: the player's action never waits for or fails on SNS.
"""

import json
import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.aws import sns_client
from apps.events import tasks  # a module import: tasks import this module too (see README, "Cycles")
from apps.events.models import OutboxEvent

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300
# Events handled inside Django whatever SNS_TOPIC_ARN says: event type -> the Celery task (by name) that
# takes the payload.
IN_APP_TASKS = {
    "MobilePush": "apps.notifications.tasks.push_deliver_task",
    "MobileEndpointsDelete": "apps.notifications.tasks.push_endpoints_delete_task",
}


def event_publish(event_type: str, payload: dict[str, Any], *, delay_seconds: int = 0) -> OutboxEvent:
    """Record the event with the change that causes it; it is sent after commit, and its handlers run
    `delay_seconds` later (on AWS the event's SQS queue carries the same delay, from the template)."""
    event = OutboxEvent.objects.create(
        event_type=event_type, payload=payload, available_at=timezone.now(), delay_seconds=delay_seconds
    )
    transaction.on_commit(lambda: _nudge(tasks.outbox_publish_task))
    return event


def _nudge(task: Any) -> None:
    try:
        task.delay()
    except Exception:
        logger.warning("could not queue the outbox publisher", exc_info=True)


def _send_to_sns(event: OutboxEvent) -> None:
    client = sns_client()
    client.publish(
        TopicArn=settings.SNS_TOPIC_ARN,
        Message=json.dumps({"event_type": event.event_type, "event_id": event.pk, "payload": event.payload}),
        MessageAttributes={"eventType": {"DataType": "String", "StringValue": event.event_type}},
    )


def _send_locally(event: OutboxEvent) -> None:
    tasks.handle_event_locally.apply_async(args=[event.event_type, event.payload], countdown=event.delay_seconds)


def _send_in_app(event: OutboxEvent) -> None:
    current_app.send_task(IN_APP_TASKS[event.event_type], args=[event.payload], countdown=event.delay_seconds)


def outbox_publish_pending(*, limit: int = 100) -> dict[str, int]:
    """Send what is due; rows another publisher holds are skipped. Returns counts of sent and failed."""
    send = _send_to_sns if settings.SNS_TOPIC_ARN else _send_locally
    now = timezone.now()
    report = {"sent": 0, "failed": 0}
    with transaction.atomic():
        due = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, available_at__lte=now)
            .order_by("id")[:limit]
        )
        for event in due:
            try:
                (_send_in_app if event.event_type in IN_APP_TASKS else send)(event)
            except Exception as error:  # noqa: BLE001 - kept pending, retried with backoff
                event.attempts += 1
                event.available_at = now + timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2**event.attempts))
                event.last_error = f"{type(error).__name__}: {error}"[:500]
                event.save(update_fields=["attempts", "available_at", "last_error"])
                report["failed"] += 1
                continue
            event.sent_at = now
            event.save(update_fields=["sent_at"])
            report["sent"] += 1
    if report["failed"]:
        logger.warning("outbox: %s sent, %s failed (will retry)", report["sent"], report["failed"])
    return report


def outbox_backlog() -> int:
    return OutboxEvent.objects.filter(sent_at__isnull=True).count()
