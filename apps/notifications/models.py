from django.db import models


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
