from django.db.models import QuerySet

from apps.accounts.exceptions import NoPlayerProfile
from apps.accounts.models import Player, User
from apps.core.exceptions import NotFound


def player_list() -> QuerySet[Player]:
    return Player.objects.filter(user__is_active=True).select_related("user").order_by("-rating", "id")


def player_get(*, player_id: int | str) -> Player:
    try:
        return player_list().get(pk=int(player_id))
    except (ValueError, Player.DoesNotExist) as exc:
        raise NotFound("No such player.", code="PLAYER_NOT_FOUND") from exc


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
