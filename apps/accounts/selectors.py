from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from apps.accounts.exceptions import NoPlayerProfile, PlayerNotFound
from apps.accounts.models import Player, User
from apps.realtime.presence import presence_online_ids


def player_list() -> QuerySet[Player]:
    return Player.objects.filter(user__is_active=True).select_related("user").order_by("-rating", "id")


def player_get(*, player_id: int | str) -> Player:
    try:
        return player_list().get(pk=int(player_id))
    except (ValueError, Player.DoesNotExist) as exc:
        raise PlayerNotFound() from exc


def active_user_by_email(email: str | None) -> User | None:
    """The active account with this address (any case), or None."""
    return User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()


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
