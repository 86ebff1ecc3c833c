"""The walk-up queue: parties waiting at a hall for a table, and the tables offered to them.

Invariants the database holds, whatever the races: a player waits in one queue at a time, a party holds at
most one pending offer, a table is offered to at most one party at a time, and a party is seated once.
MariaDB has no partial unique indexes, so each "at most one pending" is a nullable unique column that is
set only while the row is live (NULLs never clash).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.halls.models import TableKind


class HallQueue(models.Model):
    """One row per hall, locked by every change of its queue so that they happen one at a time."""

    hall = models.OneToOneField("halls.PoolHouse", on_delete=models.CASCADE, related_name="walkup_queue")

    def __str__(self) -> str:
        return f"queue of {self.hall}"


class QueueEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SEATED = "seated", "Seated"
        LEFT = "left", "Left"
        NO_SHOW = "no_show", "Did not answer an offer"
        REMOVED = "removed", "Removed by staff"
        CLOSED = "closed", "Still waiting when the hall closed"

    hall = models.ForeignKey("halls.PoolHouse", on_delete=models.CASCADE, related_name="queue_entries")
    player = models.ForeignKey(
        "accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="queue_entries"
    )
    # Set to the player while the party waits: one waiting entry per player, held by a unique index.
    active_player = models.OneToOneField(
        "accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=20, help_text="What the wait page shows: a first name or an initial.")
    party_size = models.PositiveSmallIntegerField(default=2)
    table_kind = models.CharField(max_length=16, choices=TableKind.choices, blank=True, help_text="Blank: any.")
    minutes = models.PositiveSmallIntegerField(null=True, blank=True, help_text="How long the party wants to play.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reservation = models.OneToOneField(
        "reservations.Reservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="walkup_entry"
    )

    class Meta:
        ordering = ["hall_id", "joined_at", "id"]
        verbose_name_plural = "queue entries"
        indexes = [models.Index(fields=["hall", "status", "joined_at"], name="queue_entry_waiting_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(party_size__gte=1, party_size__lte=20), name="queue_party_size_range"),
            models.CheckConstraint(
                condition=Q(active_player__isnull=True) | Q(status="waiting"), name="queue_active_only_while_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party_size}) at {self.hall}, {self.status}"


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="offers")
    table = models.ForeignKey("halls.PoolTable", on_delete=models.CASCADE, related_name="walkup_offers")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Unanswered by then, it passes to the next party.")
    ready_at = models.DateTimeField(help_text="When the table is tidied and play can start.")
    until = models.DateTimeField(null=True, blank=True, help_text="Play ends by then: a booking follows.")
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set only while pending: one pending offer per party and per table, held by unique indexes.
    open_entry = models.OneToOneField(QueueEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    open_table = models.OneToOneField(
        "halls.PoolTable", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["-offered_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_status_expiry_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(open_entry__isnull=True) & Q(open_table__isnull=True)) | Q(status="pending"),
                name="offer_open_only_while_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"table {self.table_id} to entry {self.entry_id}, {self.status}"
