from django.db.models import Prefetch, Q, QuerySet

from apps.accounts.models import Player, User
from apps.accounts.selectors import player_of
from apps.halls.models import PoolHouse
from apps.halls.selectors import hall_ids_staffed_by
from apps.ratings.models import GameResult, ResultReport


def _with_claims(results: QuerySet[GameResult]) -> QuerySet[GameResult]:
    return results.select_related("winner__user", "loser__user", "session__table__hall").prefetch_related(
        Prefetch("reports", queryset=ResultReport.objects.select_related("reporter__user", "winner__user"))
    )


def results_of_player(*, player: Player, viewer: User) -> QuerySet[GameResult]:
    """The player's games with a result, newest first. Final results are public; a claim that is not final
    yet (pending or disputed) shows only to the two players and the staff of the hall where they played."""
    visible = Q(status=GameResult.Status.FINAL)
    viewer_player = player_of(viewer)
    if viewer_player is not None:
        visible |= Q(winner=viewer_player) | Q(loser=viewer_player)
    if viewer.is_superuser:
        visible = Q()
    elif staffed := hall_ids_staffed_by(viewer):
        visible |= Q(session__table__hall_id__in=staffed)
    return _with_claims(GameResult.objects.filter(Q(winner=player) | Q(loser=player)).filter(visible)).order_by(
        "-created_at", "-id"
    )


def results_for_staff(*, hall: PoolHouse) -> QuerySet[GameResult]:
    """The results of the hall's games that wait for its staff (disputed), oldest first."""
    return _with_claims(
        GameResult.objects.filter(session__table__hall=hall, status=GameResult.Status.DISPUTED)
    ).order_by("created_at", "id")


def claim_sentence(report: ResultReport) -> str:
    """One player's claim as staff read it (reporter and winner loaded)."""
    who = report.reporter.user.username
    if report.disputes:
        return f"{who}: disputes the opponent's report (no claim of their own)"
    if report.tie:
        return f"{who}: a draw, {report.result_winner}-{report.result_loser}"
    winner = report.winner.user.username if report.winner else "?"
    return f"{who}: {winner} won {report.result_winner}-{report.result_loser}"


def leaderboard_global() -> QuerySet[Player]:
    return Player.objects.filter(user__is_active=True).select_related("user").order_by("-rating", "id")


def leaderboard_hall(*, hall: PoolHouse) -> QuerySet[Player]:
    """Players who have played at least one game at the hall, best rated first."""
    played_here = Q(reservations_made__game_session__table__hall=hall) | Q(
        reservations_invited__game_session__table__hall=hall
    )
    ids = Player.objects.filter(played_here).values("pk")
    return leaderboard_global().filter(pk__in=ids)


def player_rank(*, player: Player, among: QuerySet[Player] | None = None) -> int:
    """1 for the best rated of `among` (every active player by default); ties share the better rank."""
    return (leaderboard_global() if among is None else among).filter(rating__gt=player.rating).count() + 1


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
