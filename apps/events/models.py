from django.db import models


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change that caused it.

    The publisher sends pending rows (to SNS, or to the local handlers without AWS) and marks them sent;
    a failed send stays pending with a later `available_at`, so nothing is lost while SNS is down.
    """

    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(db_index=True)
    delay_seconds = models.PositiveIntegerField(
        default=0, help_text="How long after publishing its handlers run (SQS's queue delay on AWS)."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "available_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk} ({'sent' if self.sent_at else 'pending'})"
