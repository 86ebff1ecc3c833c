from django.db import transaction

from apps.accounts.models import Player
from apps.core.exceptions import NotFound
from apps.notifications.models import Notification
from apps.realtime import frames
from apps.realtime.push import push_to_user


def notification_send(
    *, recipient: Player, type: str, body: str, extra: str = "", sent_by: Player | None = None
) -> Notification:
    """Store the notification, then (after commit) push it to every socket the recipient has open."""
    notification = Notification.objects.create(
        recipient=recipient, type=type, body=body[:500], extra=str(extra)[:64], sent_by=sent_by
    )
    user_id = recipient.user_id
    transaction.on_commit(lambda: push_to_user(user_id, frames.notification(notification)))
    return notification


def notification_mark_read(*, notification_id: int, recipient: Player) -> Notification:
    """Mark one of my notifications read; somebody else's is not found."""
    notification = Notification.objects.filter(pk=notification_id, recipient=recipient).first()
    if notification is None:
        raise NotFound("No such notification.", code="NOTIFICATION_NOT_FOUND")
    if not notification.read:
        notification.read = True
        notification.save(update_fields=["read"])
    return notification


def notifications_mark_all_read(*, recipient: Player) -> int:
    return Notification.objects.filter(recipient=recipient, read=False).update(read=True)
