from rest_framework import status

from apps.core.exceptions import DomainError


class ResultError(DomainError):
    code = "INVALID_RESULT"
    default_detail = "The result does not describe this game."


class SessionNotFinished(ResultError):
    code = "SESSION_NOT_FINISHED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The game is not over yet; report the result after it finishes."


class NeedsTwoPlayers(ResultError):
    code = "RESULT_NEEDS_TWO_PLAYERS"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Only a game between two players has a result."


class AlreadyReported(ResultError):
    code = "ALREADY_REPORTED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You have already reported this game."


class ResultAlreadyFinal(ResultError):
    code = "RESULT_ALREADY_FINAL"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The result of this game is already final."


class NothingToDispute(ResultError):
    code = "NOTHING_TO_DISPUTE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "There is no pending report from your opponent to dispute."


class AlreadyDisputed(ResultError):
    code = "ALREADY_DISPUTED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This result is already disputed; the hall's staff will settle it."


class AwaitingOpponent(ResultError):
    code = "RESULT_AWAITING_OPPONENT"
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "The opponent may still confirm or dispute this result; settle it once they have, or once their time is up."
    )


class AwaitingReports(ResultError):
    code = "RESULT_AWAITING_REPORTS"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The players have not reported yet; settle it once they disagree, or once their time is up."


class GameMoved(ResultError):
    code = "GAME_MOVED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This game went on at another table; its result belongs to the game there."
