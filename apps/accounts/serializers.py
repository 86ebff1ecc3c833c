"""Output shapes of the client contract (User, SimplePlayer, Player, CurrentUser) and input checks."""

from functools import lru_cache
from typing import Any

from django.core.files.storage import default_storage
from django.templatetags.static import static
from rest_framework import serializers

from apps.accounts.models import DEFAULT_AVATAR, Player, User


def absolute_media_url(request: Any, file_field: Any, placeholder: str | None = None) -> str | None:
    """Clients put image URLs straight into `<img src>`, so every URL is absolute.

    `file_field` is a FieldFile or a stored file name (from a `.values()` row)."""
    if isinstance(file_field, str) and file_field:
        url = default_storage.url(file_field)
    elif file_field:
        url = file_field.url
    elif placeholder:
        url = _static_url(placeholder)
    else:
        return None
    if url.startswith(("http://", "https://")) or request is None:
        return str(url)
    # Lists repeat the same placeholder URL many times: resolve each one once per request.
    cache = request.__dict__.setdefault("_absolute_urls", {})
    if url not in cache:
        cache[url] = str(request.build_absolute_uri(url))
    return str(cache[url])


@lru_cache(maxsize=16)
def _static_url(path: str) -> str:
    return str(static(path))


def viewer_id(request: Any) -> int | None:
    """Who asks: a user's id as a number (a stateless token's user carries it as the token's string claim)."""
    viewer = getattr(request, "user", None)
    return int(viewer.pk) if viewer is not None and viewer.is_authenticated else None


# The shapes are built by plain functions: lists of tables, chats and players nest these per row, and
# instantiating nested DRF serializers per row cost more than the whole query (see bench/). The
# serializer classes below declare the same fields for the OpenAPI schema and delegate to these.


def user_values(
    *, user_id: int, username: str, first_name: str, last_name: str, email: str, viewer: int | None
) -> dict[str, Any]:
    """The User shape from plain values; only the account owner sees the address, others get ""."""
    return {
        "id": user_id,
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
        "email": email if viewer == user_id else "",
    }


def user_data(user: User, viewer: int | None) -> dict[str, Any]:
    return user_values(
        user_id=user.pk,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        viewer=viewer,
    )


def simple_player_data(player: Player, request: Any) -> dict[str, Any]:
    user = player.user
    return simple_player_values(
        request,
        player_id=player.pk,
        image=player.profile_image,
        rating=player.rating,
        user_id=user.pk,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
    )


def simple_player_values(
    request: Any,
    *,
    player_id: int,
    image: Any,
    rating: float,
    user_id: int,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
) -> dict[str, Any]:
    """The SimplePlayer shape from plain values (model instances or a `.values()` row alike)."""
    return {
        "id": player_id,
        "profile_image": absolute_media_url(request, image, DEFAULT_AVATAR),
        "total_points": round(rating),
        "user": user_values(
            user_id=user_id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            viewer=viewer_id(request),
        ),
    }


class UserSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField(help_text='The address; "" unless the caller is this user.')

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email"]

    def get_email(self, user: User) -> str:
        return str(user_data(user, viewer_id(self.context.get("request")))["email"])

    def to_representation(self, user: User) -> dict[str, Any]:
        return user_data(user, viewer_id(self.context.get("request")))


class SimplePlayerSerializer(serializers.ModelSerializer):
    profile_image = serializers.SerializerMethodField(
        help_text="Absolute URL of the player's picture (a default avatar when none is set)."
    )
    total_points = serializers.IntegerField(read_only=True, help_text="The player's rating (Glicko-2), rounded.")
    user = UserSerializer(read_only=True)

    class Meta:
        model = Player
        fields = ["id", "profile_image", "total_points", "user"]

    def get_profile_image(self, player: Player) -> str | None:
        return absolute_media_url(self.context.get("request"), player.profile_image, DEFAULT_AVATAR)

    def to_representation(self, player: Player) -> dict[str, Any]:
        return simple_player_data(player, self.context.get("request"))


class PlayerSerializer(SimplePlayerSerializer):
    online = serializers.SerializerMethodField(help_text="Whether the player has a socket open now.")

    class Meta(SimplePlayerSerializer.Meta):
        fields = [
            *SimplePlayerSerializer.Meta.fields,
            "games_played",
            "games_won",
            "opponents_met",
            "inviting_to_play",
            "auto_pair",
            "rating_deviation",
            "online",
            "last_seen",
        ]
        extra_kwargs = {
            "games_played": {"help_text": "Games with a final result."},
            "games_won": {"help_text": "Games won (ties are not wins)."},
            "opponents_met": {"help_text": "Different opponents in games with a final result."},
            "inviting_to_play": {"help_text": "In the lobby: looking for a game."},
            "rating_deviation": {"help_text": "Glicko-2 rating deviation: how uncertain the rating still is."},
            "last_seen": {"help_text": "When the player's last socket closed; null if never."},
        }

    def get_online(self, player: Player) -> bool:
        """From `online_ids` in the context, which the view reads (selectors.players_online_ids)."""
        return player.pk in self.context["online_ids"]

    def to_representation(self, player: Player) -> dict[str, Any]:
        return {
            **simple_player_data(player, self.context.get("request")),
            **_player_values(
                games_played=player.games_played,
                games_won=player.games_won,
                opponents_met=player.opponents_met,
                inviting_to_play=player.inviting_to_play,
                auto_pair=player.auto_pair,
                rating_deviation=player.rating_deviation,
                online=self.get_online(player),
                last_seen=player.last_seen,
            ),
        }


def _player_values(
    *,
    games_played: int,
    games_won: int,
    opponents_met: int,
    inviting_to_play: bool,
    auto_pair: bool,
    rating_deviation: float,
    online: bool,
    last_seen: Any,
) -> dict[str, Any]:
    """What the Player shape adds to SimplePlayer."""
    return {
        "games_played": games_played,
        "games_won": games_won,
        "opponents_met": opponents_met,
        "inviting_to_play": inviting_to_play,
        "auto_pair": auto_pair,
        "rating_deviation": rating_deviation,
        "online": online,
        "last_seen": last_seen.isoformat().replace("+00:00", "Z") if last_seen else None,
    }


def simple_player_row_data(request: Any, row: dict[str, Any]) -> dict[str, Any]:
    """The SimplePlayer shape from a row of `apps.accounts.selectors.player_rows`."""
    return simple_player_values(
        request,
        player_id=row["id"],
        image=row["profile_image"],
        rating=row["rating"],
        user_id=row["user_id"],
        username=row["user__username"],
        first_name=row["user__first_name"],
        last_name=row["user__last_name"],
        email=row["user__email"],
    )


def player_row_data(request: Any, row: dict[str, Any], *, online: bool) -> dict[str, Any]:
    """The Player shape from a row of `apps.accounts.selectors.player_rows`."""
    return {
        **simple_player_row_data(request, row),
        **_player_values(
            games_played=row["games_played"],
            games_won=row["games_won"],
            opponents_met=row["opponents_met"],
            inviting_to_play=row["inviting_to_play"],
            auto_pair=row["auto_pair"],
            rating_deviation=row["rating_deviation"],
            online=online,
            last_seen=row["last_seen"],
        ),
    }


class CurrentUserSerializer(serializers.Serializer):
    """CurrentUser = Player + password_is_null; staff accounts without a player get null player fields.
    The view reads the user's `player`, `staff_halls` and `online_ids` into the context."""

    def to_representation(self, user: User) -> dict[str, Any]:
        player = self.context["player"]
        if player is not None:
            data = dict(PlayerSerializer(player, context=self.context).data)
        else:
            data = {
                "id": None,
                "profile_image": None,
                "total_points": None,
                "user": UserSerializer(user, context=self.context).data,
                "games_played": 0,
                "games_won": 0,
                "opponents_met": 0,
                "inviting_to_play": False,
            }
        data["password_is_null"] = not user.has_usable_password()
        data["is_staff"] = user.is_staff
        data["staff_halls"] = self.context["staff_halls"]
        return data


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class SetPasswordInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class SetUsernameInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(
        max_length=128, trim_whitespace=False, allow_blank=True, help_text="Blank for an account without a password."
    )
    new_username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)


class DeleteUserInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        help_text="The account's password; may be left out when the account has none.",
    )


class LocationInputSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude in degrees.")
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude in degrees.")


class ProfileImageInputSerializer(serializers.Serializer):
    profile_image = serializers.FileField(help_text="An image file (multipart upload).")


class EmailInputSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, required=False, help_text="The account's address; not needed (and ignored) when signed in."
    )


class VerifyCodeForgetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    code = serializers.CharField(max_length=12, help_text="The 6-digit code from the email.")


class VerifyCodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, help_text="The 6-digit code from the email.")


class SetForgetPasswordInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    key = serializers.CharField(max_length=128, help_text="The key `verify-code-forget` answered with.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class SetGooglePasswordInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=128, help_text="The key `verify-code` answered with.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class GoogleAuthInputSerializer(serializers.Serializer):
    id_token = serializers.CharField(max_length=8192, help_text="The ID token (a JWT) from Google sign-in.")
    # The client sends `from: "register"` from its sign-up page; both pages sign in or sign up alike.
    from_ = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "from" in data:
            data = {**data, "from_": data["from"]}
        return super().to_internal_value(data)


class KeyOutputSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="Single-use key that sets the password; expires after PASSWORD_KEY_TTL_MINUTES."
    )


class TicketOutputSerializer(serializers.Serializer):
    uuid = serializers.CharField(
        help_text="Single-use socket ticket: open /ws/base/?uuid=<ticket> within WS_TICKET_TTL_SECONDS."
    )


class GoogleAuthOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="Access token (JWT) for the Authorization header.")
    refresh_token = serializers.CharField(help_text="Refresh token (JWT) for /auth/jwt/refresh/.")
