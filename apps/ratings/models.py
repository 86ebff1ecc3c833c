from django.db import models
from django.db.models import Q


class GameResult(models.Model):
    """The outcome of one finished game session, built from the players' reports.

    It moves ratings exactly once: when it becomes final (two agreeing reports, staff settlement, or a
    single report whose dispute window ran out).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the opponent"
        DISPUTED = "disputed", "Disputed: staff settle it"
        FINAL = "final", "Final"

    session = models.OneToOneField("reservations.GameSession", on_delete=models.CASCADE, related_name="result")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # For a tie, winner and loser are just the two players (tie=True).
    winner = models.ForeignKey("accounts.Player", null=True, on_delete=models.SET_NULL, related_name="+")
    loser = models.ForeignKey("accounts.Player", null=True, on_delete=models.SET_NULL, related_name="+")
    tie = models.BooleanField(default=False)
    result_winner = models.PositiveSmallIntegerField(default=0)
    result_loser = models.PositiveSmallIntegerField(default=0)
    final_after = models.DateTimeField(help_text="A single unchallenged report becomes final at this time.")
    finalized_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    winner_rating_before = models.FloatField(null=True, blank=True)
    winner_rating_after = models.FloatField(null=True, blank=True)
    loser_rating_before = models.FloatField(null=True, blank=True)
    loser_rating_after = models.FloatField(null=True, blank=True)
    # The rest of each player's Glicko-2 state before the game, so a reopened result (a tournament director's
    # undo) puts both players back exactly where they were when nothing was rated after it.
    winner_deviation_before = models.FloatField(null=True, blank=True)
    winner_volatility_before = models.FloatField(null=True, blank=True)
    loser_deviation_before = models.FloatField(null=True, blank=True)
    loser_volatility_before = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "final_after"], name="result_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(tie=True) | Q(result_winner__gte=models.F("result_loser")),
                name="result_winner_scored_no_less",
            ),
        ]

    def __str__(self) -> str:
        return f"result of session {self.session_id} ({self.status})"

    @property
    def points_given(self) -> int:
        """The winner's shown points (the rounded rating) gained, 0 before the result is final. Differences of
        rounded ratings, so a player's history adds up to the change of their shown points."""
        if self.winner_rating_after is None or self.winner_rating_before is None:
            return 0
        return round(self.winner_rating_after) - round(self.winner_rating_before)

    @property
    def penalty_points(self) -> int:
        """The loser's shown points lost (positive), 0 before the result is final."""
        if self.loser_rating_after is None or self.loser_rating_before is None:
            return 0
        return round(self.loser_rating_before) - round(self.loser_rating_after)


class ResultReport(models.Model):
    """One player's account of a game; one per player and session, enforced by the database."""

    result = models.ForeignKey(GameResult, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="result_reports")
    winner = models.ForeignKey("accounts.Player", null=True, on_delete=models.CASCADE, related_name="+")
    tie = models.BooleanField(default=False)
    result_winner = models.PositiveSmallIntegerField(default=0)
    result_loser = models.PositiveSmallIntegerField(default=0)
    disputes = models.BooleanField(default=False, help_text="The player only contests the opponent's report.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["result", "reporter"], name="one_report_per_player")]

    def __str__(self) -> str:
        return f"report by {self.reporter_id} on {self.result_id}"

    def agrees_with(self, other: "ResultReport") -> bool:
        if self.disputes or other.disputes:
            return False
        if self.tie or other.tie:
            return self.tie and other.tie
        return (self.winner_id, self.result_winner, self.result_loser) == (
            other.winner_id,
            other.result_winner,
            other.result_loser,
        )
