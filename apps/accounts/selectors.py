from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from apps.accounts.exceptions import NoPlayerProfile, PlayerNotFound
from apps.accounts.models import Player, User
from apps.core.compiled import CompiledValues
from apps.realtime.presence import presence_online_ids


def player_list() -> QuerySet[Player]:
    return Player.objects.filter(user__is_active=True).select_related("user").order_by("-rating", "id")


# A player's row with what the Player shape shows (apps/accounts/serializers.py's `player_row_data`), for
# the lists on hot paths (a hall's tables, the matchmaking list): plain rows, no model instances.
PLAYER_ROW_FIELDS = (
    "id",
    "profile_image",
    "rating",
    "rating_deviation",
    "games_played",
    "games_won",
    "opponents_met",
    "inviting_to_play",
    "auto_pair",
    "last_seen",
    "latitude",
    "longitude",
    "user_id",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__is_active",
)
_MARKER = -7_100_000  # the first of the marker values that stand for the ids (apps/core/compiled.py)
_PLAYER_ROWS: dict[int, CompiledValues] = {}  # by the number of players asked for


def player_rows(player_ids: list[int]) -> list[dict[str, Any]]:
    """These players' rows (PLAYER_ROW_FIELDS), in no particular order; one compiled query per list length."""
    if not player_ids:
        return []
    query = _PLAYER_ROWS.get(len(player_ids))
    if query is None:
        markers: dict[str, Any] = {f"p{n}": _MARKER - n for n in range(len(player_ids))}
        query = _PLAYER_ROWS.setdefault(
            len(player_ids),
            CompiledValues(
                lambda **ids: Player.objects.filter(pk__in=list(ids.values())).order_by().values(*PLAYER_ROW_FIELDS),
                **markers,
            ),
        )
    return query(**{f"p{n}": player_id for n, player_id in enumerate(player_ids)})


def player_get(*, player_id: int | str) -> Player:
    try:
        return player_list().get(pk=int(player_id))
    except (ValueError, Player.DoesNotExist) as exc:
        raise PlayerNotFound() from exc


def active_user_by_email(email: str | None) -> User | None:
    """The active account with this address (any case), or None."""
    return User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()


def active_user_exists(*, user_id: int) -> bool:
    return User.objects.filter(pk=user_id, is_active=True).exists()


def email_in_use(*, email: str, other_than: int | None = None) -> bool:
    """Whether another account has this address, in any case."""
    others = User.objects.filter(email__iexact=email.strip())
    return (others if other_than is None else others.exclude(pk=other_than)).exists()


def player_get_by_username(username: object) -> Player:
    """An active player by username; a missing or malformed name is PLAYER_NOT_FOUND."""
    if not isinstance(username, str) or not username or len(username) > 150:
        raise PlayerNotFound("Name the other player by username.")
    player = Player.objects.select_related("user").filter(user__username=username, user__is_active=True).first()
    if player is None:
        raise PlayerNotFound()
    return player


def player_named(data: dict[str, Any]) -> Player:
    """The player an input names: by id as `player` or, failing that, by `username` (PLAYER_NOT_FOUND)."""
    return player_get(player_id=data["player"]) if data.get("player") else player_get_by_username(data.get("username"))


def players_online_ids(players: Iterable[Player | None]) -> set[int]:
    """Which of these players have a socket open (one Redis round trip); the `online_ids` that player
    shapes read from their serializer context."""
    return presence_online_ids(player.pk for player in players if player is not None)


def player_of(user: User) -> Player | None:
    """The user's player, or None for staff accounts that do not play."""
    try:
        return user.player
    except Player.DoesNotExist:
        return None


def player_require(user: User) -> Player:
    """The user's player; staff accounts, which do not play, get NO_PLAYER_PROFILE."""
    player = player_of(user)
    if player is None:
        raise NoPlayerProfile()
    return player
