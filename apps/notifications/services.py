from django.db import transaction

from apps.accounts.models import Player
from apps.notifications.models import Notification
from apps.notifications.push import push_to_user


def notification_frame(notification: Notification) -> dict[str, object]:
    sender = notification.sent_by
    return {
        "protocol": "notification",
        "id": notification.pk,
        "type": notification.type,
        "body": notification.body,
        "extra": notification.extra,
        "timestamp": notification.timestamp.isoformat(),
        "read": notification.read,
        "sent_by": {"id": sender.pk, "username": sender.user.username} if sender is not None else None,
    }


def notification_send(
    *, recipient: Player, type: str, body: str, extra: str = "", sent_by: Player | None = None
) -> Notification:
    """Store the notification, then (after commit) push it to every socket the recipient has open."""
    notification = Notification.objects.create(
        recipient=recipient, type=type, body=body[:500], extra=str(extra)[:64], sent_by=sent_by
    )
    user_id = recipient.user_id
    transaction.on_commit(lambda: push_to_user(user_id, notification_frame(notification)))
    return notification
