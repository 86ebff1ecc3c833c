from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from apps.accounts.models import Player, User
from apps.notifications.models import PUSH_KINDS, Device, GameReminder, Notification, PushSettings
from apps.realtime.presence import presence_online_ids
from apps.reservations.models import Reservation

REMINDER_BATCH = 500


def notifications_of(*, recipient: Player) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=recipient).select_related("sent_by__user").order_by("-timestamp", "-id")
    )


def unread_notifications_count(*, recipient: Player) -> int:
    return Notification.objects.filter(recipient=recipient, read=False).count()


# --- Devices and push ----------------------------------------------------------------------------


def devices_of(*, player: Player) -> QuerySet[Device]:
    return Device.objects.filter(player=player)


def push_settings_of(*, player: Player) -> PushSettings:
    """The player's push settings; the defaults (unsaved) when they never changed them."""
    found = PushSettings.objects.filter(player=player).first()
    return found if found is not None else PushSettings(player=player)


def in_quiet_hours(push_settings: PushSettings, moment: datetime) -> bool:
    """Whether `moment` falls in the quiet hours, read in the player's time zone; a start after the end
    spans midnight (22:00-07:00)."""
    start, end = push_settings.quiet_hours_start, push_settings.quiet_hours_end
    if start is None or end is None or start == end:
        return False
    local = moment.astimezone(ZoneInfo(push_settings.time_zone)).time()
    return start <= local < end if start < end else (local >= start or local < end)


def push_withheld(*, notification: Notification, now: datetime) -> str | None:
    """Why this notification is not pushed to the recipient's phones now, or None to push it: not a push
    kind, muted, already read, a socket open (unless the kind is pushed always), quiet hours."""
    kind = notification.type
    if kind not in PUSH_KINDS:
        return "not a push kind"
    push_settings = push_settings_of(player=notification.recipient)
    if kind in push_settings.muted:
        return "muted"
    if notification.read:
        return "read"
    if kind not in push_settings.always and presence_online_ids([notification.recipient_id]):
        return "online"
    if in_quiet_hours(push_settings, now):
        return "quiet hours"
    return None


# --- Reminders -----------------------------------------------------------------------------------


def reminders_due(*, now: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(reservation id, reminder time) of the bookings with players whose reminder falls due by `until`
    and has not been sent: booked, not started, starting after `now`. A booking made after its reminder
    time (less than GAME_REMINDER_MINUTES ahead) gets none: its players have just arranged it."""
    lead = timedelta(minutes=settings.GAME_REMINDER_MINUTES)
    reminded = GameReminder.objects.filter(reservation=OuterRef("pk"), start_time=OuterRef("start_time"))
    rows = (
        Reservation.objects.filter(
            status=Reservation.Status.BOOKED,
            game_session__isnull=True,
            start_time__gt=now,
            start_time__lte=until + lead,
            created_at__lte=F("start_time") - lead,
        )
        .filter(Q(player_reserving__isnull=False) | Q(other_player__isnull=False))
        .exclude(Exists(reminded))
        .values_list("pk", "start_time")[:REMINDER_BATCH]
    )
    return [(pk, start - lead) for pk, start in rows]


def email_verified(user: User) -> bool:
    """Whether we may mail the account: it is active and its current address is proven (User.email_verified:
    the activation link, a code mailed to it, or Google's word at sign-in)."""
    return bool(user.email) and user.is_active and user.email_verified
