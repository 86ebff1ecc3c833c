import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.templatetags.static import static

# The picture of a player who has not uploaded one (a static file).
DEFAULT_AVATAR = "core/default-avatar.png"


def _profile_image_path(instance: "Player", filename: str) -> str:
    # Unguessable names: a player's picture URL reveals nothing and cannot be enumerated.
    return f"players/{uuid.uuid4().hex}.jpg"


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    email_verified = models.BooleanField(
        default=False,
        help_text="The address is proven: the emailed activation link or a code mailed to it was used, or Google "
        "vouched for it at sign-in. Cleared whenever the address changes (services.user_email_set).",
    )

    def __str__(self) -> str:
        return self.username


class Player(models.Model):
    """The playing side of a user: rating, whereabouts and counters. Staff accounts have none."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="player")
    profile_image = models.ImageField(upload_to=_profile_image_path, blank=True)
    # Glicko-2 triple; `total_points` shown to clients is the rating rounded.
    rating = models.FloatField(default=1500.0)
    rating_deviation = models.FloatField(default=350.0)
    rating_volatility = models.FloatField(default=0.06)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    inviting_to_play = models.BooleanField(default=False)
    looking_since = models.DateTimeField(null=True, blank=True)
    auto_pair = models.BooleanField(default=False, help_text="Pair me automatically while I am looking.")
    games_played = models.PositiveIntegerField(default=0)
    games_won = models.PositiveIntegerField(default=0)
    opponents_met = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Covers the matchmaking ranking (flag, rating window, position): an index-only range scan.
            models.Index(fields=["inviting_to_play", "rating", "latitude", "longitude"], name="player_lobby_idx"),
            models.Index(fields=["latitude", "longitude"], name="player_location_idx"),
            models.Index(fields=["-rating"], name="player_rating_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="player_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="player_longitude_range",
            ),
            models.CheckConstraint(condition=Q(games_won__lte=models.F("games_played")), name="player_won_le_played"),
        ]

    def __str__(self) -> str:
        return f"{self.user.username} ({self.total_points})"

    @property
    def picture_url(self) -> str:
        """The player's picture: the uploaded one, else the placeholder; relative when stored locally (REST
        answers and socket frames make it absolute with the host the client used)."""
        return str(self.profile_image.url if self.profile_image else static(DEFAULT_AVATAR))

    @property
    def total_points(self) -> int:
        return round(self.rating)


class VerificationCode(models.Model):
    """A short code emailed to a user, exchanged once for a key that may set a new password.

    Only hashes are stored. A code dies after its expiry, after too many wrong attempts, or once used;
    the key it yields is single-use and short-lived too.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_codes")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    key_hash = models.CharField(max_length=128, blank=True, db_index=True)
    key_expires_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="code_user_recent_idx")]

    def __str__(self) -> str:
        return f"code for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
