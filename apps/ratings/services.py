"""Results and ratings: reports, agreement, disputes, staff settlement, and the one place ratings move.

Reports of one session serialise on the session row lock, so two players reporting at the same moment
are compared, never both taken as "first". Finalising locks both players (in id order) and is guarded
by the result's status, so a result moves ratings once.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.accounts.services import players_lock
from apps.halls.selectors import hall_staff_user_ids
from apps.halls.services import hall_staff_require
from apps.notifications.models import Notification
from apps.notifications.services import notification_send, notification_send_to_players
from apps.ratings import exceptions
from apps.ratings.glicko import Rating, rate_game
from apps.ratings.models import GameResult, ResultReport
from apps.realtime import frames
from apps.realtime.push import push_to_hall_board, push_to_user
from apps.reservations.exceptions import SessionNotFound
from apps.reservations.models import GameSession
from apps.reservations.selectors import reservation_players
from apps.tournaments import services as tournaments  # a module import: it calls these services (README, "Cycles")

MAX_FRAMES = 99


def _locked_session(session_id: int) -> GameSession:
    locked = GameSession.objects.select_for_update().filter(pk=session_id).first()
    if locked is None:
        raise SessionNotFound()
    if locked.moved:
        raise exceptions.GameMoved()
    return GameSession.objects.select_related(
        "reservation__player_reserving__user", "reservation__other_player__user", "table__hall"
    ).get(pk=locked.pk)


def session_players(session: GameSession) -> list[Player]:
    return reservation_players(session.reservation)


def _participants(session: GameSession, player: Player) -> tuple[Player, Player]:
    """(me, opponent); a caller who did not play this game is told it does not exist."""
    players = session_players(session)
    if player.pk not in {p.pk for p in players}:
        raise SessionNotFound()
    if len(players) < 2:
        raise exceptions.NeedsTwoPlayers()
    opponent = next(p for p in players if p.pk != player.pk)
    return player, opponent


def _claim(
    me: Player, opponent: Player, winner_id: int, loser_id: int, result_winner: int, result_loser: int
) -> tuple[int | None, bool]:
    """Validate a player's claimed outcome; returns (winner id or None, tie)."""
    if not (0 <= result_winner <= MAX_FRAMES and 0 <= result_loser <= MAX_FRAMES):
        raise exceptions.ResultError(f"Scores are whole numbers from 0 to {MAX_FRAMES}.")
    if winner_id == loser_id:
        # The web client reports a tie as winner = loser = the opponent's id (never oneself).
        if winner_id != opponent.pk:
            raise exceptions.ResultError("A draw names your opponent as both winner and loser.")
        return None, True
    return _decided(me, opponent, winner_id, loser_id, result_winner, result_loser), False


def _decided(
    first: Player, second: Player, winner_id: int, loser_id: int, result_winner: int, result_loser: int
) -> int:
    """A won game between these two players: the winner's id."""
    if {winner_id, loser_id} != {first.pk, second.pk}:
        raise exceptions.ResultError("Winner and loser must be the two players of this game.")
    if result_winner < result_loser:
        raise exceptions.ResultError("The winner cannot have fewer frames than the loser.")
    return winner_id


def _copy_claim(result: GameResult, report: ResultReport, players: list[Player]) -> None:
    result.tie = report.tie
    if report.tie:
        result.winner, result.loser = players[0], players[1]
    else:
        result.winner = next(p for p in players if p.pk == report.winner_id)
        result.loser = next(p for p in players if p.pk != report.winner_id)
    result.result_winner, result.result_loser = report.result_winner, report.result_loser


def _result_of(session: GameSession) -> GameResult:
    result, _ = GameResult.objects.get_or_create(
        session=session,
        defaults={"final_after": timezone.now() + timedelta(hours=settings.RESULT_SINGLE_REPORT_HOURS)},
    )
    return result


def _claim_text(reporter: Player, report: ResultReport, players: list[Player]) -> str:
    if report.tie:
        return f"{reporter.user.username} reported a draw, {report.result_winner}-{report.result_loser}"
    winner = next(p for p in players if p.pk == report.winner_id)
    return f"{reporter.user.username} reported: {winner.user.username} won {report.result_winner}-{report.result_loser}"


@transaction.atomic
def result_report(
    *, session_id: int, reporter: Player, winner_id: int, loser_id: int, result_winner: int, result_loser: int
) -> GameResult:
    """A player reports a finished game. Two agreeing reports make it final; disagreeing ones go to staff.

    The first report asks the opponent to confirm or dispute (a notification). A player who disputed the
    opponent's report without a claim of their own may still make one: it replaces the bare dispute, and
    if it agrees with the opponent's report the result is final after all.
    """
    session = _locked_session(session_id)
    me, opponent = _participants(session, reporter)
    if session.ended_at is None:
        raise exceptions.SessionNotFinished()
    claimed_winner, tie = _claim(me, opponent, winner_id, loser_id, result_winner, result_loser)
    tournaments.tournament_score_check(
        session_id=session.pk, winner_id=claimed_winner, result_winner=result_winner, result_loser=result_loser
    )
    result = _result_of(session)
    if result.status == GameResult.Status.FINAL:
        raise exceptions.ResultAlreadyFinal()
    claim = {"winner_id": claimed_winner, "tie": tie, "result_winner": result_winner, "result_loser": result_loser}
    mine = result.reports.filter(reporter=me).first()
    if mine is not None and not mine.disputes:
        raise exceptions.AlreadyReported()
    if mine is None:
        report = ResultReport.objects.create(result=result, reporter=me, **claim)
    else:
        report = mine
        for field, value in {**claim, "disputes": False}.items():
            setattr(report, field, value)
        report.save()
    players = session_players(session)
    theirs = result.reports.exclude(pk=report.pk).first()
    if theirs is None:
        _copy_claim(result, report, players)
        result.save()
        notification_send(
            recipient=opponent,
            type=Notification.Type.RESULT_REPORTED,
            body=f"{_claim_text(me, report, players)}. Confirm or dispute.",
            extra=str(session.pk),
            sent_by=me,
        )
        return result
    if report.agrees_with(theirs):
        _copy_claim(result, report, players)
        return _finalize(result)
    if result.status != GameResult.Status.DISPUTED:
        result.status = GameResult.Status.DISPUTED
        result.save(update_fields=["status"])
        _tell_disputed(result, session, players)
    return result


@transaction.atomic
def result_dispute(*, session_id: int, player: Player) -> GameResult:
    """Contest the opponent's single report before it becomes final; staff then settle it."""
    session = _locked_session(session_id)
    me, _opponent = _participants(session, player)
    result = GameResult.objects.filter(session=session).first()
    if result is None:
        raise exceptions.NothingToDispute()
    if result.status == GameResult.Status.DISPUTED:
        raise exceptions.AlreadyDisputed()
    if result.status == GameResult.Status.FINAL:
        raise exceptions.ResultAlreadyFinal()
    if result.reports.filter(reporter=me).exists():
        raise exceptions.AlreadyReported("You reported this game yourself; there is nothing of yours to dispute.")
    ResultReport.objects.create(result=result, reporter=me, disputes=True)
    result.status = GameResult.Status.DISPUTED
    result.save(update_fields=["status"])
    _tell_disputed(result, session, session_players(session))
    return result


@transaction.atomic
def result_settle(
    *,
    session_id: int,
    staff_user: User,
    winner_id: int | None,
    result_winner: int,
    result_loser: int,
    at_once: bool = False,
) -> GameResult:
    """Hall staff decide the result of a finished game of their hall; `winner_id` None is a draw. Final at once.

    Staff step in when the players disagree, or when the time to report has run out; never while a
    report still waits for the opponent's confirmation, nor before the players have had the chance.
    `at_once`: a tournament director enters the score at the desk, without waiting for the players.
    """
    session = _locked_session(session_id)
    hall_staff_require(user=staff_user, hall=session.table.hall)
    if session.ended_at is None:
        raise exceptions.SessionNotFinished()
    players = session_players(session)
    if len(players) < 2:
        raise exceptions.NeedsTwoPlayers()
    result = GameResult.objects.select_for_update().filter(session=session).first()
    now = timezone.now()
    if result is None:
        if not at_once and now < session.ended_at + timedelta(hours=settings.RESULT_SINGLE_REPORT_HOURS):
            raise exceptions.AwaitingReports()
        result = _result_of(session)
    if result.status == GameResult.Status.FINAL:
        raise exceptions.ResultAlreadyFinal()
    pending = result.status == GameResult.Status.PENDING and result.final_after > now and result.reports.exists()
    if pending and not at_once:
        raise exceptions.AwaitingOpponent()
    if winner_id is None:
        claimed_winner, tie = None, True
    else:
        loser_id = next((p.pk for p in players if p.pk != winner_id), winner_id)
        claimed_winner = _decided(players[0], players[1], winner_id, loser_id, result_winner, result_loser)
        tie = False
    tournaments.tournament_score_check(
        session_id=session.pk, winner_id=claimed_winner, result_winner=result_winner, result_loser=result_loser
    )
    settlement = ResultReport(winner_id=claimed_winner, tie=tie, result_winner=result_winner, result_loser=result_loser)
    _copy_claim(result, settlement, players)
    result.settled_by = staff_user
    return _finalize(result)


def _finalize(result: GameResult) -> GameResult:
    """Apply a decided result: Glicko-2 for both players, counters, notifications. Caller holds the locks.

    The points recorded are the change of each player's shown points (the rounded rating), so a player's
    history adds up to their rating change. In a draw the player who gained is listed first (`winner`).
    The result carries the players as they are afterwards.
    """
    assert result.winner_id is not None and result.loser_id is not None
    locked = players_lock(Player.objects.filter(pk__in=[result.winner_id, result.loser_id]))
    winner, loser = locked[result.winner_id], locked[result.loser_id]
    before_winner = Rating(winner.rating, winner.rating_deviation, winner.rating_volatility)
    before_loser = Rating(loser.rating, loser.rating_deviation, loser.rating_volatility)
    after_winner, after_loser = rate_game(before_winner, before_loser, 0.5 if result.tie else 1.0)
    if result.tie and after_winner.rating < before_winner.rating:
        winner, loser = loser, winner
        before_winner, before_loser = before_loser, before_winner
        after_winner, after_loser = after_loser, after_winner

    met_before = (
        GameResult.objects.filter(status=GameResult.Status.FINAL)
        .filter(Q(winner=winner, loser=loser) | Q(winner=loser, loser=winner))
        .exists()
    )
    for player, after in ((winner, after_winner), (loser, after_loser)):
        Player.objects.filter(pk=player.pk).update(
            rating=after.rating,
            rating_deviation=after.deviation,
            rating_volatility=after.volatility,
            games_played=F("games_played") + 1,
            opponents_met=F("opponents_met") + (0 if met_before else 1),
        )
    if not result.tie:
        Player.objects.filter(pk=winner.pk).update(games_won=F("games_won") + 1)

    result.winner, result.loser = (Player.objects.select_related("user").get(pk=p.pk) for p in (winner, loser))
    result.winner_rating_before, result.winner_rating_after = before_winner.rating, after_winner.rating
    result.loser_rating_before, result.loser_rating_after = before_loser.rating, after_loser.rating
    result.winner_deviation_before, result.winner_volatility_before = before_winner.deviation, before_winner.volatility
    result.loser_deviation_before, result.loser_volatility_before = before_loser.deviation, before_loser.volatility
    result.status = GameResult.Status.FINAL
    result.finalized_at = timezone.now()
    result.save()
    notification_send_to_players(
        [result.winner, result.loser],
        type=Notification.Type.RESULT_FINAL,
        body=lambda other: f"The result against {other.user.username} is final.",
        extra=str(result.session_id),
    )
    session_id = result.session_id
    # A tournament match advances its bracket from here, whichever way the result became final; in its own
    # transaction after this one commits (its lock order starts at the tournament, ours at the session).
    transaction.on_commit(lambda: tournaments.tournament_result_final(session_id=session_id))
    return result


def result_reopen(*, session_id: int, reason: str) -> GameResult | None:
    """Take a final result back (a tournament director undoes it): both players' ratings and counters are
    put back as if the game had never been rated, and the result waits for staff to settle it again, which
    moves the ratings once more, by the result that stands. Caller holds a transaction. None: nothing final.

    A player rated in a later game keeps that game's change: their rating moves back by this game's change
    alone (and keeps its deviation); a player rated in nothing since gets their whole state back."""
    session = _locked_session(session_id)
    result = GameResult.objects.select_for_update().filter(session=session).first()
    if result is None or result.status != GameResult.Status.FINAL:
        return None
    assert result.winner_id is not None and result.loser_id is not None
    locked = players_lock(Player.objects.filter(pk__in=[result.winner_id, result.loser_id]))
    sides = (
        (
            locked[result.winner_id],
            result.winner_rating_before,
            result.winner_rating_after,
            result.winner_deviation_before,
            result.winner_volatility_before,
        ),
        (
            locked[result.loser_id],
            result.loser_rating_before,
            result.loser_rating_after,
            result.loser_deviation_before,
            result.loser_volatility_before,
        ),
    )
    pair = {"winner_id": result.winner_id, "loser_id": result.loser_id}
    swapped = {"winner_id": result.loser_id, "loser_id": result.winner_id}
    met_otherwise = (
        GameResult.objects.filter(status=GameResult.Status.FINAL)
        .filter(Q(**pair) | Q(**swapped))
        .exclude(pk=result.pk)
        .exists()
    )
    if not result.tie:  # first: a player never has more wins than games (a checked constraint)
        Player.objects.filter(pk=result.winner_id).update(games_won=F("games_won") - 1)
    for player, before, after, deviation, volatility in sides:
        assert before is not None and after is not None
        untouched = player.rating == after and deviation is not None and volatility is not None
        Player.objects.filter(pk=player.pk).update(
            rating=before if untouched else F("rating") - (after - before),
            rating_deviation=deviation if untouched else F("rating_deviation"),
            rating_volatility=volatility if untouched else F("rating_volatility"),
            games_played=F("games_played") - 1,
            opponents_met=F("opponents_met") - (0 if met_otherwise else 1),
        )
    result.status = GameResult.Status.DISPUTED
    result.finalized_at = result.settled_by = None
    result.winner_rating_before = result.winner_rating_after = None
    result.loser_rating_before = result.loser_rating_after = None
    result.winner_deviation_before = result.winner_volatility_before = None
    result.loser_deviation_before = result.loser_volatility_before = None
    result.save()
    notification_send_to_players(
        session_players(session),
        type=Notification.Type.RESULT_DISPUTED,
        body=lambda other: (
            f"The result against {other.user.username} was taken back: {reason} Staff will settle it again."
        ),
        extra=str(result.session_id),
    )
    return result


def _tell_disputed(result: GameResult, session: GameSession, players: list[Player]) -> None:
    """Both players are told; the hall's staff see it on their sockets and on the live board."""
    notification_send_to_players(
        players,
        type=Notification.Type.RESULT_DISPUTED,
        body="The reports of your game disagree; the hall's staff will settle the result.",
        extra=str(result.session_id),
    )
    hall_id = session.table.hall_id
    staff_ids = hall_staff_user_ids(hall_id=hall_id)
    frame = frames.result_disputed(session, players)

    def announce() -> None:
        push_to_hall_board(hall_id, frame)
        for user_id in staff_ids:
            push_to_user(user_id, frame)

    transaction.on_commit(announce)


def results_finalize_due() -> int:
    """Make single, unchallenged reports final once their window has passed. Returns how many."""
    now = timezone.now()
    due = GameResult.objects.filter(status=GameResult.Status.PENDING, final_after__lte=now).values_list("pk", flat=True)
    done = 0
    for result_id in list(due[:500]):
        with transaction.atomic():
            result = GameResult.objects.select_for_update(skip_locked=True).filter(pk=result_id).first()
            if result is None or result.status != GameResult.Status.PENDING or result.final_after > now:
                continue
            if result.reports.count() != 1:
                continue
            _finalize(result)
            done += 1
    return done
