from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Reservation(models.Model):
    """A booked slot of a table. No booker means a staff walk-in."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    table = models.ForeignKey("halls.PoolTable", on_delete=models.CASCADE, related_name="reservations")
    player_reserving = models.ForeignKey(
        "accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="reservations_made"
    )
    other_player = models.ForeignKey(
        "accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="reservations_invited"
    )
    start_time = models.DateTimeField()
    duration = models.PositiveSmallIntegerField(help_text="Minutes.")
    end_time = models.DateTimeField(editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time"]
        indexes = [
            models.Index(fields=["table", "start_time"], name="reservation_table_start_idx"),
            models.Index(fields=["status", "start_time"], name="reservation_status_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(duration__gt=0), name="reservation_positive_duration"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="reservation_ends_after_start"),
        ]

    def __str__(self) -> str:
        """Named by the hall's own time, as staff and players there say it."""
        local = self.start_time.astimezone(ZoneInfo(self.table.hall.time_zone))
        return f"{self.table} {local:%Y-%m-%d %H:%M} ({self.duration} min)"


class GameSession(models.Model):
    """A game being played (or played) on a table; at most one per reservation, enforced by the database."""

    reservation = models.OneToOneField(Reservation, on_delete=models.CASCADE, related_name="game_session")
    table = models.ForeignKey("halls.PoolTable", on_delete=models.CASCADE, related_name="sessions")
    # Official times (the booked start; the booked end or the moment it was ended early) ...
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # ... and when the system actually carried them out, to measure lateness.
    start_processed_at = models.DateTimeField(auto_now_add=True)
    end_processed_at = models.DateTimeField(null=True, blank=True)
    ended_early = models.BooleanField(default=False)
    moved = models.BooleanField(
        default=False, help_text="Its game went on at another table (a tournament match moved): no result of its own."
    )
    minutes_played = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["table", "ended_at"], name="session_table_active_idx")]

    def __str__(self) -> str:
        return f"session {self.pk} on {self.table}"

    @property
    def status_finished(self) -> bool:
        return self.ended_at is not None
