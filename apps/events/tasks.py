"""Celery side of the outbox, and the local stand-ins for the Lambdas when AWS is not configured."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction

from apps.events import services  # a module import: the services queue these tasks (README, "Cycles")
from lambdas.strikem_shared.cleanup import HANDLERS, delete_old_notifications


@shared_task(acks_late=True, ignore_result=True)
def outbox_publish_task() -> dict[str, int]:
    return services.outbox_publish_pending()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def handle_event_locally(event_type: str, payload: dict[str, Any]) -> int:
    """The Lambda's own cleanup function, run on Django's connection."""
    with transaction.atomic(), connection.cursor() as cursor:
        return int(HANDLERS[event_type](cursor, payload))


@shared_task(acks_late=True, ignore_result=True)
def delete_old_notifications_task() -> int:
    """Daily, when no EventBridge rule does it (no AWS configured)."""
    if settings.SNS_TOPIC_ARN:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        return delete_old_notifications(
            cursor,
            read_after_days=settings.NOTIFICATION_MAX_AGE_DAYS,
            unread_after_days=settings.UNREAD_NOTIFICATION_MAX_AGE_DAYS,
        )
