from django.conf import settings
from django.db import models

from apps.halls.models import validate_time_zone


class Notification(models.Model):
    """Something a player should know, stored first and then pushed to their open sockets."""

    class Type(models.TextChoices):
        INVITED = "INV", "Invited"
        MESSAGE = "MSG", "Message"
        REJECTED = "REJ", "Rejected"
        ACCEPTED = "ACP", "Accepted"
        ENTER_RESULT = "GSE", "Enter the result"
        SET_PASSWORD = "SPW", "Set your password"
        # Ours; each carries a sender, so old clients that read sent_by.user.username keep working.
        RESERVED = "RSV", "Booked you into a game"
        SESSION_STARTED = "GSS", "Game started"
        RESULT_FINAL = "GRF", "Result is final"
        RESULT_DISPUTED = "GRD", "Result disputed"
        RESULT_REPORTED = "GRP", "Result to confirm"
        GAME_SOON = "GSN", "Game starting soon"
        TABLE_READY = "TRD", "Table ready"
        QUEUE_CLOSED = "QCL", "The hall closed before a table was free"
        MATCH_CALLED = "TMC", "Match called"
        TOURNAMENT = "TRN", "Tournament news"
        FRIEND_REQUEST = "FRQ", "Friend request"
        FRIEND_ACCEPTED = "FRA", "Friend request accepted"
        FRIEND_LOOKING = "FLK", "Friend looking for a game"

    recipient = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=3, choices=Type.choices)
    body = models.CharField(max_length=500)
    extra = models.CharField(max_length=64, blank=True)
    sent_by = models.ForeignKey(
        "accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications_sent"
    )
    read = models.BooleanField(default=False)
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["recipient", "read", "-timestamp"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.type} to {self.recipient_id}: {self.body[:40]}"


# The kinds that matter when a player is away: pushed to their phones while they have no socket open,
# or always for the kinds they choose (PushSettings.always), unless muted or in their quiet hours.
PUSH_KINDS = (
    Notification.Type.INVITED,
    Notification.Type.ACCEPTED,
    Notification.Type.MESSAGE,
    Notification.Type.TABLE_READY,
    Notification.Type.MATCH_CALLED,
    Notification.Type.GAME_SOON,
    Notification.Type.RESULT_REPORTED,
    Notification.Type.FRIEND_LOOKING,
)
PUSH_KIND_VALUES = [kind.value for kind in PUSH_KINDS]  # the schema's one name for the set


class Device(models.Model):
    """A phone or browser of a player that takes mobile pushes, and its SNS platform endpoint (made on
    its first push). A token belongs to one device: registering it again moves it to the new player."""

    class Platform(models.TextChoices):
        FCM = "FCM", "Firebase Cloud Messaging (Android, web)"
        APNS = "APNS", "Apple Push Notification service (iOS)"

    player = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    token = models.CharField(max_length=512)
    endpoint_arn = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["platform", "token"], name="device_token_once")]
        indexes = [models.Index(fields=["player", "-created_at"], name="device_player_idx")]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.player_id}"


def default_time_zone() -> str:
    return str(settings.PLAYER_DEFAULT_TIME_ZONE)


class PushSettings(models.Model):
    """A player's push preferences; a player without a row has the defaults."""

    player = models.OneToOneField("accounts.Player", on_delete=models.CASCADE, related_name="push_settings")
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA name; quiet hours are read in it.",
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    muted = models.JSONField(default=list, blank=True, help_text="Notification types never pushed.")
    always = models.JSONField(default=list, blank=True, help_text="Types pushed even while a socket is open.")

    def __str__(self) -> str:
        return f"push settings of {self.player_id}"


class PushDelivery(models.Model):
    """One notification pushed to one device: the mark that makes a redelivered push event a no-op."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="push_deliveries")
    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="+")
    message_id = models.CharField(max_length=128, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "device"], name="push_once_per_device")]

    def __str__(self) -> str:
        return f"push of {self.notification_id} to {self.device_id}"


class GameReminder(models.Model):
    """The "your game starts soon" reminder of a booking at a given start: written once, so a second
    sweep, a redelivered task or a second worker never reminds twice (a moved booking is reminded anew)."""

    reservation = models.ForeignKey("reservations.Reservation", on_delete=models.CASCADE, related_name="+")
    start_time = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reservation", "start_time"], name="reminder_once")]

    def __str__(self) -> str:
        return f"reminder of {self.reservation_id} at {self.start_time:%Y-%m-%d %H:%M}"
