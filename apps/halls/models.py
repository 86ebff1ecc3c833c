import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def _hall_image_path(instance: models.Model, filename: str) -> str:
    return f"halls/{uuid.uuid4().hex}.jpg"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value} is not a known time zone.")


class PoolHouse(models.Model):
    """A pool hall. `close_time` earlier than `open_time` means it closes after midnight."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    address = models.CharField(max_length=255)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    open_time = models.TimeField()
    close_time = models.TimeField()
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="EUR")
    room_image = models.ImageField("floor plan", upload_to=_hall_image_path, blank=True)
    cleaning_buffer_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Minutes kept free between two bookings of a table."
    )
    booking_step_minutes = models.PositiveSmallIntegerField(default=15, help_text="Durations are multiples of this.")
    min_booking_minutes = models.PositiveSmallIntegerField(default=15)
    max_booking_minutes = models.PositiveSmallIntegerField(default=240)
    billing_increment_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Played time is billed in started blocks of this many minutes."
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=90, help_text="How many days ahead a table can be booked."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="hall_location_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="hall_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="hall_longitude_range"),
            models.CheckConstraint(
                condition=Q(booking_step_minutes__gt=0, billing_increment_minutes__gt=0, min_booking_minutes__gt=0)
                & Q(max_booking_minutes__gte=models.F("min_booking_minutes")),
                name="hall_booking_rules_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class HallPhoto(models.Model):
    hall = models.ForeignKey(PoolHouse, on_delete=models.CASCADE, related_name="pics")
    image = models.ImageField(upload_to=_hall_image_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.hall}"


class HallStaff(models.Model):
    """Membership: this user runs that hall (sees and edits it in the admin and the staff API)."""

    hall = models.ForeignKey(PoolHouse, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_memberships")

    class Meta:
        verbose_name = "hall staff member"
        constraints = [models.UniqueConstraint(fields=["hall", "user"], name="hall_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} at {self.hall}"


class TableKind(models.TextChoices):
    """What is played on a table; a hall's price list and a waiting party's preference name these."""

    POOL = "pool", "Pool"
    SNOOKER = "snooker", "Snooker"
    BIG_TABLE = "big_table", "Big table"


class PoolTable(models.Model):
    hall = models.ForeignKey(PoolHouse, on_delete=models.CASCADE, related_name="tables")
    number = models.PositiveSmallIntegerField(help_text="Number of the table inside the hall.")
    kind = models.CharField(max_length=16, choices=TableKind.choices, default=TableKind.POOL)
    top = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), help_text="Position on the floor plan, % from the top."
    )
    left = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), help_text="Position on the floor plan, % from the left."
    )
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("10.00"))
    out_of_service = models.BooleanField(default=False)

    class Meta:
        ordering = ["hall_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="table_number_unique_in_hall"),
            models.CheckConstraint(condition=Q(top__gte=0, top__lte=100), name="table_top_percent"),
            models.CheckConstraint(condition=Q(left__gte=0, left__lte=100), name="table_left_percent"),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="table_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.hall} · table {self.number}"


class HallRating(models.Model):
    """A player's review of a hall; one per player and hall (a second one replaces the first)."""

    hall = models.ForeignKey(PoolHouse, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="hall_ratings")
    rate = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    review = models.TextField(max_length=2000, blank=True)
    timestamp = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "rater"], name="one_rating_per_player_and_hall"),
            models.CheckConstraint(condition=Q(rate__gte=1, rate__lte=5), name="rating_one_to_five"),
        ]
        indexes = [models.Index(fields=["hall", "rate"], name="rating_hall_rate_idx")]

    def __str__(self) -> str:
        return f"{self.rate}★ {self.hall} by {self.rater}"
