from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Tournament(models.Model):
    """A hall's tournament night: its rules, its windows, the tables it holds and where it stands."""

    class Format(models.TextChoices):
        SINGLE_ELIMINATION = "single_elimination", "Single elimination"
        DOUBLE_ELIMINATION = "double_elimination", "Double elimination"
        ROUND_ROBIN = "round_robin", "Round robin"
        SWISS = "swiss", "Swiss"

    class Game(models.TextChoices):
        EIGHT_BALL = "8-ball", "8-ball"
        NINE_BALL = "9-ball", "9-ball"
        TEN_BALL = "10-ball", "10-ball"
        STRAIGHT_POOL = "straight_pool", "Straight pool"

    class Seeding(models.TextChoices):
        RATING = "rating", "By rating"
        RANDOM = "random", "Random"
        MANUAL = "manual", "By hand"

    class State(models.TextChoices):
        REGISTRATION = "registration", "Registration"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"

    hall = models.ForeignKey("halls.PoolHouse", on_delete=models.CASCADE, related_name="tournaments")
    name = models.CharField(max_length=120)
    format = models.CharField(max_length=24, choices=Format.choices, default=Format.DOUBLE_ELIMINATION)
    game = models.CharField(max_length=16, choices=Game.choices, default=Game.EIGHT_BALL)
    seeding = models.CharField(max_length=8, choices=Seeding.choices, default=Seeding.RATING)
    race_to = models.PositiveSmallIntegerField(default=5, help_text="Racks to win a match.")
    final_race_to = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Racks to win the final (and the grand final); empty: the usual race."
    )
    handicap = models.BooleanField(default=False, help_text="Races set from the rating gap, for an even chance.")
    player_cap = models.PositiveSmallIntegerField(default=32)
    groups = models.PositiveSmallIntegerField(default=1, help_text="Round robin: how many groups.")
    swiss_rounds = models.PositiveSmallIntegerField(default=5, help_text="Swiss: how many rounds.")
    entry_fee = models.DecimalField(max_digits=8, decimal_places=2, default=0, help_text="In the hall's currency.")
    payout_split = models.JSONField(default=list, blank=True, help_text="Percent of the pot per place, best first.")
    registration_opens_at = models.DateTimeField()
    registration_closes_at = models.DateTimeField()
    check_in_opens_at = models.DateTimeField()
    check_in_closes_at = models.DateTimeField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="The tournament's tables are held until then.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.REGISTRATION, db_index=True)
    swiss_round = models.PositiveSmallIntegerField(default=0)
    champion = models.ForeignKey("accounts.Player", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Goes up with every change watchers see.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["hall", "state", "starts_at"], name="tournament_hall_state_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(race_to__gte=1, race_to__lte=99), name="tournament_race_sane"),
            models.CheckConstraint(
                condition=Q(final_race_to__isnull=True) | Q(final_race_to__gte=1, final_race_to__lte=99),
                name="tournament_final_race_sane",
            ),
            models.CheckConstraint(condition=Q(player_cap__gte=2, player_cap__lte=128), name="tournament_cap_sane"),
            models.CheckConstraint(condition=Q(groups__gte=1), name="tournament_groups_positive"),
            models.CheckConstraint(condition=Q(entry_fee__gte=0), name="tournament_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at"))
                & Q(check_in_closes_at__gt=F("check_in_opens_at"))
                & Q(check_in_closes_at__lte=F("starts_at"))
                & Q(ends_at__gt=F("starts_at")),
                name="tournament_windows_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hall})"

    def race_for(self, *, final: bool) -> int:
        return (self.final_race_to or self.race_to) if final else self.race_to


class TournamentTable(models.Model):
    """A table the tournament uses, and the booking that holds it for the tournament's hours."""

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="tables")
    table = models.ForeignKey("halls.PoolTable", on_delete=models.CASCADE, related_name="tournament_uses")
    hold = models.OneToOneField(
        "reservations.Reservation", null=True, on_delete=models.SET_NULL, related_name="tournament_hold"
    )

    class Meta:
        ordering = ["table__number"]
        constraints = [models.UniqueConstraint(fields=["tournament", "table"], name="tournament_table_once")]

    def __str__(self) -> str:
        return f"{self.table} for {self.tournament}"


class Entry(models.Model):
    """A player's place in a tournament: registered, checked in, seeded at the draw."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DROPPED = "dropped", "Dropped (not checked in at the start)"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="entries")
    player = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="tournament_entries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REGISTERED)
    manual_seed = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Seeding by hand: the place.")
    seed = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_at_draw = models.FloatField(null=True, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seed", "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tournament", "player"], name="tournament_entry_once"),
            models.UniqueConstraint(fields=["tournament", "seed"], name="tournament_seed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.player} in {self.tournament_id}"


class Match(models.Model):
    """One match of the draw. Its players follow from the sources and the results before it.

    `on_table` is set only while the match is being played, and is unique: the database itself refuses a
    second match on a table."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for its players"
        READY = "ready", "Ready, waiting for a table"
        ON_TABLE = "on_table", "Being played"
        PLAYED = "played", "Played, waiting for the result"
        DONE = "done", "Decided"
        VOID = "void", "Not needed"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="matches")
    key = models.CharField(max_length=16)
    bracket = models.CharField(max_length=4)
    round = models.PositiveSmallIntegerField()
    stage = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=4, blank=True)
    source_a = models.CharField(max_length=24)
    source_b = models.CharField(max_length=24)
    final = models.BooleanField(default=False)
    reset = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    player_a = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    player_b = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    race_a = models.PositiveSmallIntegerField(default=5)
    race_b = models.PositiveSmallIntegerField(default=5)
    win_probability_a = models.FloatField(null=True, blank=True)
    score_a = models.PositiveSmallIntegerField(default=0)
    score_b = models.PositiveSmallIntegerField(default=0)
    winner = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    forfeit = models.BooleanField(default=False)
    table = models.ForeignKey(
        "halls.PoolTable", null=True, blank=True, on_delete=models.SET_NULL, related_name="tournament_matches"
    )
    on_table = models.OneToOneField(
        "halls.PoolTable", null=True, blank=True, on_delete=models.SET_NULL, related_name="tournament_match_now"
    )
    session = models.OneToOneField(
        "reservations.GameSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="tournament_match"
    )
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stage", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tournament", "key"], name="tournament_match_key_once"),
            models.CheckConstraint(condition=Q(race_a__gte=1, race_b__gte=1), name="tournament_match_race_positive"),
        ]
        indexes = [models.Index(fields=["tournament", "state", "stage", "order"], name="tournament_match_queue_idx")]
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"{self.key} of {self.tournament_id}"

    def side_of(self, entry_id: int | None) -> str | None:
        if entry_id is not None and entry_id == self.player_a_id:
            return "a"
        if entry_id is not None and entry_id == self.player_b_id:
            return "b"
        return None
