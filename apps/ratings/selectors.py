from django.db.models import Q, QuerySet

from apps.accounts.models import Player
from apps.halls.models import PoolHouse
from apps.ratings.models import GameResult


def results_of_player(*, player: Player) -> QuerySet[GameResult]:
    """The player's games with a result (final, pending or disputed), newest first."""
    return (
        GameResult.objects.filter(Q(winner=player) | Q(loser=player))
        .select_related("winner__user", "loser__user", "session__table__hall")
        .order_by("-created_at", "-id")
    )


def leaderboard_global() -> QuerySet[Player]:
    return Player.objects.filter(user__is_active=True).select_related("user").order_by("-rating", "id")


def leaderboard_hall(*, hall: PoolHouse) -> QuerySet[Player]:
    """Players who have played at least one game at the hall, best rated first."""
    played_here = Q(reservations_made__game_session__table__hall=hall) | Q(
        reservations_invited__game_session__table__hall=hall
    )
    ids = Player.objects.filter(played_here).values("pk")
    return leaderboard_global().filter(pk__in=ids)


def player_rank(*, player: Player) -> int:
    """1 for the best rated; ties share the better rank."""
    return leaderboard_global().filter(rating__gt=player.rating).count() + 1


def leaderboard_around(*, player: Player, span: int = 5) -> tuple[int, list[Player]]:
    """The players ranked just above and just below `player`, and `player`, in rank order.

    Returns the rank of the first player listed.
    """
    above = list(
        leaderboard_global()
        .filter(Q(rating__gt=player.rating) | Q(rating=player.rating, pk__lt=player.pk))
        .order_by("rating", "-id")[:span]
    )
    below = list(
        leaderboard_global()
        .filter(Q(rating__lt=player.rating) | Q(rating=player.rating, pk__gt=player.pk))
        .order_by("-rating", "id")[:span]
    )
    above.reverse()
    first_rank = (
        leaderboard_global().filter(Q(rating__gt=player.rating) | Q(rating=player.rating, pk__lt=player.pk)).count()
        + 1
        - len(above)
    )
    return first_rank, [*above, player, *below]
