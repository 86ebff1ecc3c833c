import uuid

from django.db import models
from django.db.models import F, Q


class Invitation(models.Model):
    """A player asks another for a game. Pending ones expire; a denial hides the denier for a cooldown."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"

    player_inviting = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="sent_invitations")
    player_invited = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="received_invitations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["player_invited", "status", "expires_at"], name="invitation_inbox_idx"),
            models.Index(fields=["player_inviting", "status", "expires_at"], name="invitation_outbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(player_inviting=F("player_invited")), name="no_self_invitation"),
        ]

    def __str__(self) -> str:
        return f"{self.player_inviting_id} → {self.player_invited_id} ({self.status})"


class Matchup(models.Model):
    """The private conversation of exactly two players who agreed to play."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    player_inviting = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="+")
    player_accepting = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Read state per member, not one shared flag.
    inviting_read_at = models.DateTimeField(null=True, blank=True)
    accepting_read_at = models.DateTimeField(null=True, blank=True)
    inviting_hidden = models.BooleanField(default=False)
    accepting_hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["player_inviting", "-created_at"], name="matchup_inviting_idx"),
            models.Index(fields=["player_accepting", "-created_at"], name="matchup_accepting_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(player_inviting=F("player_accepting")), name="no_self_matchup"),
        ]

    def __str__(self) -> str:
        return f"matchup {self.pk}"

    def member_ids(self) -> tuple[int, int]:
        return self.player_inviting_id, self.player_accepting_id

    def other_member_id(self, player_id: int) -> int:
        return self.player_accepting_id if player_id == self.player_inviting_id else self.player_inviting_id

    def read_field_of(self, player_id: int) -> str:
        """The column holding when this member last read the chat."""
        return "inviting_read_at" if player_id == self.player_inviting_id else "accepting_read_at"


class Message(models.Model):
    matchup = models.ForeignKey(Matchup, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=2000)
    time_sent = models.DateTimeField(auto_now_add=True)
    after_outdated = models.BooleanField(
        default=False, help_text="First message, or sent more than 20 minutes after the previous one."
    )

    class Meta:
        ordering = ["-time_sent", "-id"]
        indexes = [models.Index(fields=["matchup", "-time_sent"], name="message_chat_idx")]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.body[:30]}"
