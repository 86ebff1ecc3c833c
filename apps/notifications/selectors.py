from django.db.models import QuerySet

from apps.accounts.models import Player
from apps.notifications.models import Notification


def notifications_of(*, recipient: Player) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=recipient).select_related("sent_by__user").order_by("-timestamp", "-id")
    )


def unread_notifications_count(*, recipient: Player) -> int:
    return Notification.objects.filter(recipient=recipient, read=False).count()
