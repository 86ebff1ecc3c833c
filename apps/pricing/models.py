from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.halls.models import TableKind

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = (1 << 7) - 1


class PriceList(models.Model):
    """One version of a hall's prices. The version in force when a session starts prices it, so a change
    applies to sessions that start after it: publishing makes a new version, the old ones stay as they were."""

    class Rounding(models.IntegerChoices):
        EXACT = 1, "exact minutes"
        QUARTER = 15, "started 15 minutes"
        HALF = 30, "started 30 minutes"
        HOUR = 60, "started hours"

    hall = models.ForeignKey("halls.PoolHouse", on_delete=models.CASCADE, related_name="price_lists")
    valid_from = models.DateTimeField(help_text="Sessions that start from this moment on are priced by this version.")
    rounding_minutes = models.PositiveSmallIntegerField(
        choices=Rounding.choices, default=Rounding.QUARTER, help_text="Played time is billed in started blocks of this."
    )
    minimum_charge = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0.00"), help_text="The least a game costs."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["hall_id", "-valid_from", "-id"]
        indexes = [models.Index(fields=["hall", "valid_from"], name="price_list_hall_from_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(minimum_charge__gte=0), name="price_list_minimum_not_negative"),
            models.CheckConstraint(condition=Q(rounding_minutes__in=[1, 15, 30, 60]), name="price_list_rounding_known"),
        ]

    def __str__(self) -> str:
        return f"{self.hall} prices from {self.valid_from:%Y-%m-%d %H:%M} UTC"


class RatePeriod(models.Model):
    """A rate for some weekdays between two wall-clock times of the hall, for one table kind (or all).

    A kind's own periods replace those for every kind; each set covers the whole week exactly once (checked
    on publishing).
    """

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="periods")
    table_kind = models.CharField(
        max_length=16, choices=TableKind.choices, blank=True, help_text="Blank: tables of every kind."
    )
    weekdays = models.PositiveSmallIntegerField(
        default=EVERY_DAY, help_text="Days it applies on, one bit a day: Monday 1, Tuesday 2, ... Sunday 64."
    )
    start_time = models.TimeField(help_text="Wall clock in the hall's time zone.")
    end_time = models.TimeField(help_text="Wall clock in the hall's time zone; 00:00 is midnight at the day's end.")
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2)
    member_hourly_rate = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="For the hall's members; blank: the same."
    )
    label = models.CharField(max_length=40, blank=True, help_text='Shown on quotes, e.g. "happy hour".')

    class Meta:
        ordering = ["price_list_id", "table_kind", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="rate_period_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(member_hourly_rate__isnull=True) | Q(member_hourly_rate__gte=0),
                name="rate_period_member_rate_not_negative",
            ),
            models.CheckConstraint(condition=Q(weekdays__gt=0, weekdays__lte=EVERY_DAY), name="rate_period_weekdays"),
        ]

    def __str__(self) -> str:
        days = ",".join(name for bit, name in enumerate(WEEKDAY_NAMES) if self.weekdays & (1 << bit))
        return f"{self.table_kind or 'all'} {days} {self.start_time:%H:%M}-{self.end_time:%H:%M} {self.hourly_rate}"


class Membership(models.Model):
    """A player is a member of a hall up to and including `valid_until` (the hall's own date)."""

    hall = models.ForeignKey("halls.PoolHouse", on_delete=models.CASCADE, related_name="memberships")
    player = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="hall_memberships")
    valid_until = models.DateField(help_text="Last day of the membership, in the hall's time zone.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["hall_id", "player_id"]
        constraints = [models.UniqueConstraint(fields=["hall", "player"], name="one_membership_per_player_and_hall")]

    def __str__(self) -> str:
        return f"{self.player} member of {self.hall} until {self.valid_until}"
