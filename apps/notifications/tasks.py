"""Celery side of mobile pushes and game reminders: ids in, the services do the work."""

from typing import Any

from celery import shared_task

from apps.notifications import services  # a module import: the services queue these tasks (README, "Cycles")


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def push_deliver_task(payload: dict[str, Any]) -> int:
    """The outbox's MobilePush event: push one stored notification to the recipient's devices."""
    return services.push_deliver(notification_id=int(payload["notification_id"]))


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def push_endpoints_delete_task(payload: dict[str, Any]) -> None:
    """The outbox's MobileEndpointsDelete event: delete the SNS endpoints of forgotten devices."""
    services.push_endpoints_delete(endpoint_arns=[str(arn) for arn in payload["endpoint_arns"]])


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def push_endpoint_delete_task(endpoint_arn: str) -> None:
    """The name and argument this task had before the outbox carried endpoint deletions: kept so that
    messages queued by the previous release are still carried out during a deploy."""
    services.push_endpoints_delete(endpoint_arns=[str(endpoint_arn)])


@shared_task(acks_late=True, ignore_result=True)
def game_reminder_task(reservation_id: int) -> bool:
    """Queued by the sessions sweep for the reminder's exact time (see apps/reservations/tasks.py)."""
    return services.game_reminder_send(reservation_id=reservation_id)
