"""Stored notifications, and reaching a player who has no socket open: devices, mobile pushes, reminders.

Every notification goes through `notification_send`: it is stored, pushed to the recipient's open sockets
after commit, and, for the push kinds (models.PUSH_KINDS) when the recipient has a device, a MobilePush
event is written to the outbox in the same transaction. The outbox hands it to a Celery task after
commit (so a rolled-back action never buzzes a phone); the task decides then whether to push (muted,
read, a socket open, quiet hours) and sends through the mobile push port, once per device.
"""

import logging
import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Player
from apps.core.exceptions import NotFound
from apps.events.services import event_publish
from apps.halls.models import validate_time_zone
from apps.notifications import emails, exceptions
from apps.notifications.mobile_push import (
    EndpointGone,
    MobilePushPort,
    PlatformNotConfigured,
    PushMessage,
    mobile_push_port,
)
from apps.notifications.models import PUSH_KINDS, Device, GameReminder, Notification, PushDelivery, PushSettings
from apps.notifications.selectors import email_verified, push_settings_of, push_withheld
from apps.realtime import frames
from apps.realtime.push import push_to_user
from apps.reservations.models import Reservation
from apps.reservations.selectors import reservation_players

logger = logging.getLogger(__name__)
MOBILE_PUSH_EVENT = "MobilePush"
ENDPOINTS_DELETE_EVENT = "MobileEndpointsDelete"
# A task may fire a hair before its ETA (clocks of broker, worker and database differ slightly).
REMINDER_TOLERANCE = timedelta(seconds=1)
_TOKEN_FORMS = {
    Device.Platform.FCM: re.compile(r"[A-Za-z0-9_:\-]{32,512}"),
    Device.Platform.APNS: re.compile(r"[0-9a-fA-F]{64,200}"),
}


def notification_send(
    *,
    recipient: Player,
    type: str,
    body: str,
    extra: str = "",
    sent_by: Player | None = None,
    recipient_has_device: bool | None = None,
    frames_before: Sequence[dict[str, Any]] = (),
) -> Notification:
    """Store the notification, then (after commit) push it to every socket the recipient has open; a push
    kind for a player with a device also goes to the outbox for their phones (see the module docstring).
    `recipient_has_device`: whether they have one, when the caller read it already (None: read here).
    `frames_before`: the caller's own frames for the recipient, pushed just before the notification's in
    the same message (one trip through the channel layer, not two)."""
    known = None if recipient_has_device is None else ({recipient.pk} if recipient_has_device else set())
    (notification,) = notifications_send(
        [(recipient, body, sent_by)], type=type, extra=extra, with_device=known, frames_before=frames_before
    )
    return notification


def notifications_send(
    notes: Sequence[tuple[Player, str, Player | None]],
    *,
    type: str,
    extra: str = "",
    with_device: Collection[int] | None = None,
    frames_before: Sequence[dict[str, Any]] = (),
) -> list[Notification]:
    """`notification_send` for several notifications of one kind at once, each (recipient, body, sender):
    one insert, and one look for devices when the kind is pushed to phones. Pushed after commit in order.
    `with_device`: the recipients (player ids) that have a phone, when the caller read it already.
    `frames_before`: as for `notification_send`, pushed before each recipient's notification."""
    notifications = Notification.objects.bulk_create(
        Notification(recipient=recipient, type=type, body=body[:500], extra=str(extra)[:64], sent_by=sent_by)
        for recipient, body, sent_by in notes
    )
    for notification in notifications:
        user_id = notification.recipient.user_id
        transaction.on_commit(partial(_push_notification, user_id, notification, list(frames_before)))
    if type in PUSH_KINDS and notifications:
        if with_device is None:
            recipients = [notification.recipient_id for notification in notifications]
            with_device = set(Device.objects.filter(player__in=recipients).values_list("player_id", flat=True))
        for notification in notifications:
            if notification.recipient_id in with_device:
                event_publish(MOBILE_PUSH_EVENT, {"notification_id": notification.pk})
    return notifications


def _push_notification(user_id: int, notification: Notification, frames_before: list[dict[str, Any]]) -> None:
    push_to_user(user_id, *frames_before, frames.notification(notification))


def notification_send_to_players(
    players: Sequence[Player], *, type: str, body: str | Callable[[Player], str], extra: str = ""
) -> None:
    """The same news to each player of a game, sent by the other one (`body(other)` when it names them)."""
    notes = []
    for recipient in players:
        other = next((p for p in players if p.pk != recipient.pk), recipient)
        notes.append((recipient, body if isinstance(body, str) else body(other), other))
    notifications_send(notes, type=type, extra=extra)


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


# --- Devices --------------------------------------------------------------------------------------


@transaction.atomic
def device_register(*, player: Player, platform: str, token: str) -> Device:
    """Register my device for pushes (idempotent). A token already registered, to whomever, becomes mine:
    the app on that phone is signed in to my account now. Beyond DEVICES_PER_PLAYER_MAX the oldest of my
    devices are dropped (and their endpoints deleted after commit)."""
    form = _TOKEN_FORMS.get(platform)  # type: ignore[call-overload]
    if form is None or not isinstance(token, str) or not form.fullmatch(token):
        raise exceptions.InvalidDeviceToken()
    device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
    if device is None:
        try:
            with transaction.atomic():
                device = Device.objects.create(player=player, platform=platform, token=token)
        except IntegrityError:  # registered at the same moment by a twin request
            device = Device.objects.select_for_update().get(platform=platform, token=token)
    if device.player_id != player.pk:
        device.player = player
        device.save(update_fields=["player"])
    surplus = Device.objects.filter(player=player).exclude(pk=device.pk)[settings.DEVICES_PER_PLAYER_MAX - 1 :]
    for old in list(surplus):
        _device_delete(old)
    return device


def _device_delete(device: Device) -> None:
    """Forget a device; its SNS endpoint is deleted after commit."""
    arn = device.endpoint_arn
    device.delete()
    _endpoints_delete_later([arn])


def _endpoints_delete_later(endpoint_arns: list[str]) -> None:
    """Delete these SNS endpoints after commit: an outbox event written with the change, so a rolled-back
    change deletes nothing and a process that dies right after commit still has them deleted."""
    arns = [arn for arn in endpoint_arns if arn]
    if arns:
        event_publish(ENDPOINTS_DELETE_EVENT, {"endpoint_arns": arns})


@transaction.atomic
def devices_forget(*, player: Player) -> int:
    """Forget every device of a player whose account is going (accounts.services.user_delete): the rows now,
    their SNS endpoints after commit. Returns how many devices there were."""
    devices = list(Device.objects.select_for_update().filter(player=player))
    Device.objects.filter(pk__in=[device.pk for device in devices]).delete()
    _endpoints_delete_later([device.endpoint_arn for device in devices])
    return len(devices)


@transaction.atomic
def device_remove(*, player: Player, device_id: int | str) -> None:
    """Unregister one of my devices (the app does it on logout); another player's is not found."""
    try:
        device = Device.objects.select_for_update().filter(pk=int(device_id), player=player).first()
    except ValueError:
        device = None
    if device is None:
        raise exceptions.DeviceNotFound()
    _device_delete(device)


# --- Push settings --------------------------------------------------------------------------------

_UNCHANGED: Any = object()


@transaction.atomic
def push_settings_update(
    *,
    player: Player,
    time_zone: str = _UNCHANGED,
    quiet_hours_start: Any = _UNCHANGED,
    quiet_hours_end: Any = _UNCHANGED,
    muted: list[str] = _UNCHANGED,
    always: list[str] = _UNCHANGED,
) -> PushSettings:
    """Change my push settings; what is not given stays. Quiet hours take both ends or neither."""
    push_settings = push_settings_of(player=player)
    changes = {
        "time_zone": time_zone,
        "quiet_hours_start": quiet_hours_start,
        "quiet_hours_end": quiet_hours_end,
        "muted": sorted(set(muted)) if muted is not _UNCHANGED else muted,
        "always": sorted(set(always)) if always is not _UNCHANGED else always,
    }
    for name, value in changes.items():
        if value is not _UNCHANGED:
            setattr(push_settings, name, value)
    try:
        validate_time_zone(push_settings.time_zone)
    except ValidationError as exc:
        raise exceptions.InvalidTimeZone() from exc
    if (push_settings.quiet_hours_start is None) != (push_settings.quiet_hours_end is None):
        raise exceptions.QuietHoursIncomplete()
    push_settings.save()
    return push_settings


# --- Mobile pushes --------------------------------------------------------------------------------


def _push_message(notification: Notification) -> PushMessage:
    return PushMessage(
        title="Strikem",
        body=notification.body,
        data={"notification_id": str(notification.pk), "type": notification.type, "extra": notification.extra},
    )


def push_deliver(*, notification_id: int, port: MobilePushPort | None = None) -> int:
    """Push a stored notification to every device of its recipient, unless it is withheld now (see
    selectors.push_withheld). Each device gets it once however often the event comes (a PushDelivery
    row is claimed first); a device whose endpoint the push service disabled or deleted is forgotten.
    Returns how many devices it reached. A transient failure is raised, for the task to retry."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return 0
    reason = push_withheld(notification=notification, now=timezone.now())
    if reason is not None:
        logger.info("push of notification %s withheld: %s", notification.pk, reason)
        return 0
    port = port or mobile_push_port()
    message = _push_message(notification)
    return sum(
        _push_to_device(port, notification, device, message)
        for device in Device.objects.filter(player_id=notification.recipient_id)
    )


def _push_to_device(port: MobilePushPort, notification: Notification, device: Device, message: PushMessage) -> bool:
    try:
        with transaction.atomic():
            delivery = PushDelivery.objects.create(notification=notification, device=device)
    except IntegrityError:
        return False  # pushed already: the event came twice
    try:
        if not device.endpoint_arn:
            device.endpoint_arn = port.endpoint_for(platform=device.platform, token=device.token)
            device.save(update_fields=["endpoint_arn"])
        delivery.message_id = port.send(endpoint_arn=device.endpoint_arn, message=message)
    except PlatformNotConfigured:
        delivery.delete()
        return False
    except EndpointGone:
        logger.info("device %s dropped: its endpoint is disabled or gone", device.pk)
        delivery.delete()
        device.delete()
        try:
            port.endpoint_delete(endpoint_arn=device.endpoint_arn)
        except Exception:
            logger.warning("could not delete endpoint %s", device.endpoint_arn, exc_info=True)
        return False
    except Exception:
        delivery.delete()  # not sent: the retry may send it
        raise
    delivery.save(update_fields=["message_id"])
    return True


def push_endpoints_delete(*, endpoint_arns: list[str], port: MobilePushPort | None = None) -> None:
    """Delete SNS endpoints of forgotten devices (the outbox's MobileEndpointsDelete event). SNS deletes an
    endpoint that is gone already without complaint, so a retried event is harmless."""
    port = port or mobile_push_port()
    for endpoint_arn in endpoint_arns:
        port.endpoint_delete(endpoint_arn=endpoint_arn)


# --- Reminders ------------------------------------------------------------------------------------


@transaction.atomic
def game_reminder_send(*, reservation_id: int, now: datetime | None = None) -> bool:
    """Remind both players that their game starts in GAME_REMINDER_MINUTES: a GSN notification each
    (pushed to their phones as any push kind) and, after commit, an email to each verified address.
    Once per booking and start time (a GameReminder row); nothing when the booking is gone, cancelled,
    started, moved later (the sweep queues its new time) or already under way."""
    now = now or timezone.now()
    reservation = (
        Reservation.objects.select_related("table__hall", "player_reserving__user", "other_player__user")
        .filter(pk=reservation_id, status=Reservation.Status.BOOKED, game_session__isnull=True)
        .first()
    )
    if reservation is None or now >= reservation.start_time:
        return False
    if now + REMINDER_TOLERANCE < reservation.start_time - timedelta(minutes=settings.GAME_REMINDER_MINUTES):
        return False
    players = reservation_players(reservation)
    if not players:
        return False
    try:
        with transaction.atomic():
            GameReminder.objects.create(reservation=reservation, start_time=reservation.start_time)
    except IntegrityError:
        return False  # reminded already
    hall, table = reservation.table.hall, reservation.table
    minutes = max(1, round((reservation.start_time - now).total_seconds() / 60))
    body = f"Your game at {hall.title} (table {table.number}) starts in {minutes} minutes."
    notification_send_to_players(players, type=Notification.Type.GAME_SOON, body=body, extra=str(reservation.pk))
    addresses = [player.user.email for player in players if email_verified(player.user)]
    if addresses:
        transaction.on_commit(lambda: emails.send_game_reminder(addresses=addresses, body=body))
    return True
