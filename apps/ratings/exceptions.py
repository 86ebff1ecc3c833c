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
